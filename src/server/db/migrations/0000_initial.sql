CREATE TABLE "accounts" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"name" text NOT NULL,
	"email" text NOT NULL,
	"username" text NOT NULL,
	"password_hash" text NOT NULL,
	"is_first_admin" boolean DEFAULT false NOT NULL,
	"must_change_password" boolean DEFAULT false NOT NULL,
	"failed_login_count" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"last_login_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "email_claims" (
	"email" text PRIMARY KEY NOT NULL,
	"owner_type" text NOT NULL,
	"owner_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "password_resets" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"token_hash" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "password_resets_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"csrf_token" text NOT NULL,
	"client_address" text,
	"user_agent" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" text PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_account_id" text,
	"actor_label" text NOT NULL,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text NOT NULL,
	"target_label" text,
	"master_reseller_id" text,
	"reseller_id" text,
	"enterprise_id" text,
	"before" jsonb,
	"after" jsonb,
	"client_address" text
);
--> statement-breakpoint
CREATE TABLE "pbx_types" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"label" text NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"is_disabled" boolean DEFAULT false NOT NULL,
	"hosting_type" text DEFAULT 'hosted' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "regions" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"carrier_fqdn" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "enterprise_pbx_types" (
	"enterprise_id" text NOT NULL,
	"pbx_type_id" text NOT NULL,
	CONSTRAINT "enterprise_pbx_types_enterprise_id_pbx_type_id_pk" PRIMARY KEY("enterprise_id","pbx_type_id")
);
--> statement-breakpoint
CREATE TABLE "enterprise_regions" (
	"enterprise_id" text NOT NULL,
	"region_id" text NOT NULL,
	CONSTRAINT "enterprise_regions_enterprise_id_region_id_pk" PRIMARY KEY("enterprise_id","region_id")
);
--> statement-breakpoint
CREATE TABLE "enterprises" (
	"id" text PRIMARY KEY NOT NULL,
	"reseller_id" text NOT NULL,
	"master_reseller_id" text NOT NULL,
	"name" text NOT NULL,
	"admin_email" text NOT NULL,
	"user_limit" integer,
	"pbx_music_on_hold" boolean DEFAULT false NOT NULL,
	"access_sip_data" boolean DEFAULT false NOT NULL,
	"request_management_consent" boolean DEFAULT false NOT NULL,
	"billing_reference" text,
	"services" text[] DEFAULT '{}'::text[] NOT NULL,
	"status" text DEFAULT 'invited' NOT NULL,
	"status_before_disable" text,
	"tenant_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "invitations" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"target_id" text NOT NULL,
	"email" text NOT NULL,
	"token_hash" text NOT NULL,
	"code_hash" text NOT NULL,
	"failed_attempts" integer DEFAULT 0 NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"mail_state" text DEFAULT 'queued' NOT NULL,
	"mail_error" text,
	"mail_sent_at" timestamp with time zone,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "organization_pbx_types" (
	"organization_id" text NOT NULL,
	"pbx_type_id" text NOT NULL,
	CONSTRAINT "organization_pbx_types_organization_id_pbx_type_id_pk" PRIMARY KEY("organization_id","pbx_type_id")
);
--> statement-breakpoint
CREATE TABLE "organization_regions" (
	"organization_id" text NOT NULL,
	"region_id" text NOT NULL,
	CONSTRAINT "organization_regions_organization_id_region_id_pk" PRIMARY KEY("organization_id","region_id")
);
--> statement-breakpoint
CREATE TABLE "organizations" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"parent_id" text,
	"master_reseller_id" text,
	"name" text NOT NULL,
	"contact_name" text,
	"email" text NOT NULL,
	"status" text DEFAULT 'invited' NOT NULL,
	"services" text[] DEFAULT '{}'::text[] NOT NULL,
	"billing_reference" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "password_resets" ADD CONSTRAINT "password_resets_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enterprise_pbx_types" ADD CONSTRAINT "enterprise_pbx_types_enterprise_id_enterprises_id_fk" FOREIGN KEY ("enterprise_id") REFERENCES "public"."enterprises"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enterprise_pbx_types" ADD CONSTRAINT "enterprise_pbx_types_pbx_type_id_pbx_types_id_fk" FOREIGN KEY ("pbx_type_id") REFERENCES "public"."pbx_types"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enterprise_regions" ADD CONSTRAINT "enterprise_regions_enterprise_id_enterprises_id_fk" FOREIGN KEY ("enterprise_id") REFERENCES "public"."enterprises"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enterprise_regions" ADD CONSTRAINT "enterprise_regions_region_id_regions_id_fk" FOREIGN KEY ("region_id") REFERENCES "public"."regions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enterprises" ADD CONSTRAINT "enterprises_reseller_id_organizations_id_fk" FOREIGN KEY ("reseller_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enterprises" ADD CONSTRAINT "enterprises_master_reseller_id_organizations_id_fk" FOREIGN KEY ("master_reseller_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organization_pbx_types" ADD CONSTRAINT "organization_pbx_types_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organization_pbx_types" ADD CONSTRAINT "organization_pbx_types_pbx_type_id_pbx_types_id_fk" FOREIGN KEY ("pbx_type_id") REFERENCES "public"."pbx_types"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organization_regions" ADD CONSTRAINT "organization_regions_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organization_regions" ADD CONSTRAINT "organization_regions_region_id_regions_id_fk" FOREIGN KEY ("region_id") REFERENCES "public"."regions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organizations" ADD CONSTRAINT "organizations_parent_id_organizations_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organizations" ADD CONSTRAINT "organizations_master_reseller_id_organizations_id_fk" FOREIGN KEY ("master_reseller_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_email_key" ON "accounts" USING btree ("email") WHERE "accounts"."deleted_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_username_key" ON "accounts" USING btree (lower("username"));--> statement-breakpoint
CREATE INDEX "accounts_organization_idx" ON "accounts" USING btree ("organization_id");--> statement-breakpoint
CREATE INDEX "sessions_account_idx" ON "sessions" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "audit_at_idx" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_master_reseller_idx" ON "audit_log" USING btree ("master_reseller_id","at");--> statement-breakpoint
CREATE INDEX "audit_reseller_idx" ON "audit_log" USING btree ("reseller_id","at");--> statement-breakpoint
CREATE INDEX "audit_target_idx" ON "audit_log" USING btree ("target_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "pbx_types_name_key" ON "pbx_types" USING btree (lower("name"));--> statement-breakpoint
CREATE UNIQUE INDEX "pbx_types_single_default" ON "pbx_types" USING btree ("is_default") WHERE "pbx_types"."is_default";--> statement-breakpoint
CREATE UNIQUE INDEX "regions_name_key" ON "regions" USING btree (lower("name"));--> statement-breakpoint
CREATE UNIQUE INDEX "regions_carrier_fqdn_key" ON "regions" USING btree ("carrier_fqdn");--> statement-breakpoint
CREATE UNIQUE INDEX "enterprises_name_key" ON "enterprises" USING btree (lower("name"));--> statement-breakpoint
CREATE UNIQUE INDEX "enterprises_tenant_key" ON "enterprises" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "enterprises_reseller_idx" ON "enterprises" USING btree ("reseller_id","created_at","id");--> statement-breakpoint
CREATE INDEX "enterprises_master_reseller_idx" ON "enterprises" USING btree ("master_reseller_id","created_at","id");--> statement-breakpoint
CREATE INDEX "enterprises_created_idx" ON "enterprises" USING btree ("created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "invitations_token_key" ON "invitations" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "invitations_target_idx" ON "invitations" USING btree ("target_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "organizations_sibling_name_key" ON "organizations" USING btree (coalesce("parent_id", ''),"kind",lower("name"));--> statement-breakpoint
CREATE INDEX "organizations_parent_idx" ON "organizations" USING btree ("parent_id","created_at");