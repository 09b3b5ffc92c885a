ALTER TABLE "enterprises" ADD COLUMN "teams_admin_role_state" text;--> statement-breakpoint
ALTER TABLE "enterprises" ADD COLUMN "teams_admin_role_error" text;--> statement-breakpoint
ALTER TABLE "enterprises" ADD COLUMN "teams_admin_role_assigned_at" timestamp with time zone;