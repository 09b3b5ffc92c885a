CREATE TABLE "user_sync_members" (
	"run_id" text NOT NULL,
	"ms_object_id" text NOT NULL,
	CONSTRAINT "user_sync_members_run_id_ms_object_id_pk" PRIMARY KEY("run_id","ms_object_id")
);
--> statement-breakpoint
CREATE TABLE "user_sync_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"enterprise_id" text NOT NULL,
	"trigger" text NOT NULL,
	"mode" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"seen" integer DEFAULT 0 NOT NULL,
	"created" integer DEFAULT 0 NOT NULL,
	"updated" integer DEFAULT 0 NOT NULL,
	"removed" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "user_sync_state" (
	"enterprise_id" text PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'idle' NOT NULL,
	"current_run_id" text,
	"heartbeat_at" timestamp with time zone,
	"delta_link" text,
	"delta_scope" text[],
	"last_full_sync_at" timestamp with time zone,
	"last_sync_at" timestamp with time zone,
	"last_error" text,
	"next_due_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"enterprise_id" text NOT NULL,
	"ms_object_id" text NOT NULL,
	"display_name" text NOT NULL,
	"user_principal_name" text NOT NULL,
	"mail" text,
	"account_enabled" boolean DEFAULT true NOT NULL,
	"teams_licensed" boolean DEFAULT false NOT NULL,
	"teams_phone_licensed" boolean DEFAULT false NOT NULL,
	"removed_at" timestamp with time zone,
	"last_seen_run_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "user_sync_members" ADD CONSTRAINT "user_sync_members_run_id_user_sync_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."user_sync_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_sync_runs" ADD CONSTRAINT "user_sync_runs_enterprise_id_enterprises_id_fk" FOREIGN KEY ("enterprise_id") REFERENCES "public"."enterprises"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_sync_state" ADD CONSTRAINT "user_sync_state_enterprise_id_enterprises_id_fk" FOREIGN KEY ("enterprise_id") REFERENCES "public"."enterprises"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_enterprise_id_enterprises_id_fk" FOREIGN KEY ("enterprise_id") REFERENCES "public"."enterprises"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "user_sync_runs_enterprise_idx" ON "user_sync_runs" USING btree ("enterprise_id","started_at");--> statement-breakpoint
CREATE UNIQUE INDEX "users_enterprise_object_key" ON "users" USING btree ("enterprise_id","ms_object_id");--> statement-breakpoint
CREATE INDEX "users_enterprise_name_idx" ON "users" USING btree ("enterprise_id","display_name","id");