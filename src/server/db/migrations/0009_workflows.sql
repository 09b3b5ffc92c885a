CREATE TABLE "workflow_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"subject_label" text,
	"master_reseller_id" text,
	"reseller_id" text,
	"enterprise_id" text,
	"status" text NOT NULL,
	"input" jsonb NOT NULL,
	"lease_owner" text,
	"lease_heartbeat_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "workflow_steps" (
	"run_id" text NOT NULL,
	"step_id" text NOT NULL,
	"position" integer NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"memo" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"error" text,
	"correlation_id" text,
	"wait_reason" text,
	"wait_until" timestamp with time zone,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	CONSTRAINT "workflow_steps_run_id_step_id_pk" PRIMARY KEY("run_id","step_id")
);
--> statement-breakpoint
ALTER TABLE "workflow_steps" ADD CONSTRAINT "workflow_steps_run_id_workflow_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."workflow_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "workflow_runs_live_key" ON "workflow_runs" USING btree ("name","subject_type","subject_id") WHERE status IN ('running', 'waiting', 'failed', 'undoing');--> statement-breakpoint
CREATE INDEX "workflow_runs_subject_idx" ON "workflow_runs" USING btree ("subject_id","created_at");