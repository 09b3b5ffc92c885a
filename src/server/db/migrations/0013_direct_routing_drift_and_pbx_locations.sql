CREATE TABLE "pbxes" (
	"id" text PRIMARY KEY NOT NULL,
	"enterprise_id" text NOT NULL,
	"pbx_type_id" text NOT NULL,
	"location_name" text NOT NULL,
	"dns_lookup" text NOT NULL,
	"sip_domain" text NOT NULL,
	"sip_proxy" text,
	"transport" text NOT NULL,
	"registration_expiry" integer DEFAULT 3600 NOT NULL,
	"codecs" text[] NOT NULL,
	"dtmf_mode" text NOT NULL,
	"voicemail_feature_code" text,
	"caller_name_policy" text DEFAULT 'TRANSPARENT' NOT NULL,
	"caller_name" text,
	"forwarded_caller_id" text DEFAULT 'USER_CALLER_ID' NOT NULL,
	"api_token_url" text,
	"api_client_id" text,
	"api_client_secret" text,
	"api_masquerading_login" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "pbx_types" ADD COLUMN "default_dns_lookup" text DEFAULT 'A' NOT NULL;--> statement-breakpoint
ALTER TABLE "pbx_types" ADD COLUMN "default_transport" text DEFAULT 'udp' NOT NULL;--> statement-breakpoint
ALTER TABLE "pbx_types" ADD COLUMN "default_voicemail_feature_code" text;--> statement-breakpoint
ALTER TABLE "pbx_types" ADD COLUMN "has_api" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "enterprises" ADD COLUMN "teams_music_on_hold_before" text;--> statement-breakpoint
ALTER TABLE "workflow_runs" ADD COLUMN "check_requested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "workflow_runs" ADD COLUMN "checked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "workflow_runs" ADD COLUMN "check_error" text;--> statement-breakpoint
ALTER TABLE "workflow_steps" ADD COLUMN "drift" jsonb;--> statement-breakpoint
ALTER TABLE "pbxes" ADD CONSTRAINT "pbxes_enterprise_id_enterprises_id_fk" FOREIGN KEY ("enterprise_id") REFERENCES "public"."enterprises"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pbxes" ADD CONSTRAINT "pbxes_pbx_type_id_pbx_types_id_fk" FOREIGN KEY ("pbx_type_id") REFERENCES "public"."pbx_types"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "pbxes_enterprise_location_name_key" ON "pbxes" USING btree ("enterprise_id",lower("location_name"));--> statement-breakpoint
CREATE INDEX "pbxes_pbx_type_idx" ON "pbxes" USING btree ("pbx_type_id");