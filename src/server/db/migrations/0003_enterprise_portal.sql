CREATE TABLE "enterprise_sync_groups" (
	"enterprise_id" text NOT NULL,
	"group_id" text NOT NULL,
	"display_name" text NOT NULL,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "enterprise_sync_groups_enterprise_id_group_id_pk" PRIMARY KEY("enterprise_id","group_id")
);
--> statement-breakpoint
ALTER TABLE "sessions" ALTER COLUMN "account_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "microsoft_flows" ALTER COLUMN "enterprise_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "microsoft_flows" ALTER COLUMN "invitation_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "enterprise_admin_id" text;--> statement-breakpoint
ALTER TABLE "enterprises" ADD COLUMN "management_consent_granted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "enterprises" ADD COLUMN "management_consent_granted_by" text;--> statement-breakpoint
ALTER TABLE "enterprises" ADD COLUMN "sync_groups_chosen_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "enterprise_sync_groups" ADD CONSTRAINT "enterprise_sync_groups_enterprise_id_enterprises_id_fk" FOREIGN KEY ("enterprise_id") REFERENCES "public"."enterprises"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_enterprise_admin_id_enterprise_admins_id_fk" FOREIGN KEY ("enterprise_admin_id") REFERENCES "public"."enterprise_admins"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sessions_enterprise_admin_idx" ON "sessions" USING btree ("enterprise_admin_id");--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_one_owner" CHECK (num_nonnulls("sessions"."account_id", "sessions"."enterprise_admin_id") = 1);