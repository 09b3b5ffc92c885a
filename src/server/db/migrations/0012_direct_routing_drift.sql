ALTER TABLE "enterprises" ADD COLUMN "teams_music_on_hold_before" text;--> statement-breakpoint
ALTER TABLE "workflow_runs" ADD COLUMN "check_requested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "workflow_runs" ADD COLUMN "checked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "workflow_runs" ADD COLUMN "check_error" text;--> statement-breakpoint
ALTER TABLE "workflow_steps" ADD COLUMN "drift" jsonb;