CREATE TABLE "calling_users" (
	"user_id" text PRIMARY KEY NOT NULL,
	"enterprise_id" text NOT NULL,
	"service" text NOT NULL,
	"pbx_id" text NOT NULL,
	"region_id" text NOT NULL,
	"sip_user" text,
	"phone_number" text NOT NULL,
	"forwarded_dids" text[] DEFAULT '{}'::text[] NOT NULL,
	"teams_voicemail" boolean DEFAULT false NOT NULL,
	"assign_dial_plan" boolean DEFAULT true NOT NULL,
	"caller_name_policy" text DEFAULT 'TRANSPARENT' NOT NULL,
	"caller_name" text,
	"forwarded_caller_id" text DEFAULT 'USER_CALLER_ID' NOT NULL,
	"tag" text,
	"calling_enabled" boolean DEFAULT true NOT NULL,
	"disabled_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"teams_state" text DEFAULT 'pending' NOT NULL,
	"teams_error" text,
	"teams_requested_at" timestamp with time zone,
	"teams_applied_at" timestamp with time zone,
	"teams_number" text,
	"teams_number_assigned_at" timestamp with time zone,
	"teams_policy_granted" boolean DEFAULT false NOT NULL,
	"teams_policy_granted_at" timestamp with time zone,
	"teams_attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "devices" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"enterprise_id" text NOT NULL,
	"sip_auth_id" text NOT NULL,
	"sip_password" text NOT NULL,
	"registration_state" text DEFAULT 'unknown' NOT NULL,
	"registration_code" integer,
	"registration_reason" text,
	"registration_reported_at" timestamp with time zone,
	"last_registered_at" timestamp with time zone,
	"lease_node_id" text,
	"lease_expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_imports" (
	"id" text PRIMARY KEY NOT NULL,
	"enterprise_id" text NOT NULL,
	"service" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"push" boolean NOT NULL,
	"total" integer NOT NULL,
	"applied" integer DEFAULT 0 NOT NULL,
	"created" integer DEFAULT 0 NOT NULL,
	"updated" integer DEFAULT 0 NOT NULL,
	"error" text,
	"rows" jsonb,
	"actor_account_id" text,
	"actor_label" text NOT NULL,
	"client_address" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "calling_users" ADD CONSTRAINT "calling_users_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calling_users" ADD CONSTRAINT "calling_users_enterprise_id_enterprises_id_fk" FOREIGN KEY ("enterprise_id") REFERENCES "public"."enterprises"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calling_users" ADD CONSTRAINT "calling_users_pbx_id_pbxes_id_fk" FOREIGN KEY ("pbx_id") REFERENCES "public"."pbxes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calling_users" ADD CONSTRAINT "calling_users_region_id_regions_id_fk" FOREIGN KEY ("region_id") REFERENCES "public"."regions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_user_id_calling_users_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."calling_users"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_enterprise_id_enterprises_id_fk" FOREIGN KEY ("enterprise_id") REFERENCES "public"."enterprises"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_imports" ADD CONSTRAINT "user_imports_enterprise_id_enterprises_id_fk" FOREIGN KEY ("enterprise_id") REFERENCES "public"."enterprises"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "calling_users_enterprise_sip_user_key" ON "calling_users" USING btree ("enterprise_id",lower("sip_user"));--> statement-breakpoint
CREATE UNIQUE INDEX "calling_users_phone_number_key" ON "calling_users" USING btree ("phone_number");--> statement-breakpoint
CREATE INDEX "calling_users_pbx_idx" ON "calling_users" USING btree ("pbx_id");--> statement-breakpoint
CREATE INDEX "calling_users_region_idx" ON "calling_users" USING btree ("region_id","enterprise_id");--> statement-breakpoint
CREATE INDEX "calling_users_enterprise_idx" ON "calling_users" USING btree ("enterprise_id","teams_state");--> statement-breakpoint
CREATE UNIQUE INDEX "devices_user_key" ON "devices" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "devices_enterprise_idx" ON "devices" USING btree ("enterprise_id");--> statement-breakpoint
CREATE INDEX "user_imports_enterprise_idx" ON "user_imports" USING btree ("enterprise_id","started_at");--> statement-breakpoint
ALTER TABLE "phone_numbers" ADD CONSTRAINT "phone_numbers_assigned_user_id_users_id_fk" FOREIGN KEY ("assigned_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "phone_numbers_assigned_user_idx" ON "phone_numbers" USING btree ("assigned_user_id");