-- The Teams Administrator role of enterprises registered before it became a workflow: a finished
-- run with both steps, succeeded when it was assigned, otherwise failed at the wait with the
-- last error (Retry checks again).
INSERT INTO "workflow_runs" ("id", "name", "subject_type", "subject_id", "subject_label", "master_reseller_id", "reseller_id", "enterprise_id", "status", "input", "created_at", "updated_at", "finished_at")
SELECT 'wfr_' || substr(md5("id"), 1, 20), 'microsoft.teams-admin-role', 'enterprise', "id", "name", "master_reseller_id", "reseller_id", "id",
  CASE WHEN "teams_admin_role_state" = 'assigned' THEN 'succeeded' ELSE 'failed' END,
  jsonb_build_object('tenantId', "tenant_id", 'assignment', jsonb_build_object('state', 'requested')),
  COALESCE("registered_at", now()), now(),
  CASE WHEN "teams_admin_role_state" = 'assigned' THEN COALESCE("teams_admin_role_assigned_at", now()) ELSE now() END
FROM "enterprises" WHERE "teams_admin_role_state" IS NOT NULL AND "tenant_id" IS NOT NULL;
--> statement-breakpoint
INSERT INTO "workflow_steps" ("run_id", "step_id", "position", "status", "attempt", "started_at", "finished_at")
SELECT 'wfr_' || substr(md5("id"), 1, 20), 'teams-admin-role.assign', 0, 'succeeded', 1, COALESCE("registered_at", now()), COALESCE("registered_at", now())
FROM "enterprises" WHERE "teams_admin_role_state" IS NOT NULL AND "tenant_id" IS NOT NULL;
--> statement-breakpoint
INSERT INTO "workflow_steps" ("run_id", "step_id", "position", "status", "attempt", "error", "started_at", "finished_at")
SELECT 'wfr_' || substr(md5("id"), 1, 20), 'teams-admin-role.effective', 1,
  CASE WHEN "teams_admin_role_state" = 'assigned' THEN 'succeeded' ELSE 'failed' END, 1,
  CASE
    WHEN "teams_admin_role_state" = 'assigned' THEN NULL
    WHEN "teams_admin_role_state" = 'pending' THEN 'The check was interrupted by an upgrade of the platform; retry to check again'
    ELSE COALESCE("teams_admin_role_error", 'The role was not in effect')
  END,
  COALESCE("registered_at", now()),
  CASE WHEN "teams_admin_role_state" = 'assigned' THEN COALESCE("teams_admin_role_assigned_at", now()) ELSE now() END
FROM "enterprises" WHERE "teams_admin_role_state" IS NOT NULL AND "tenant_id" IS NOT NULL;
--> statement-breakpoint
ALTER TABLE "enterprises" DROP COLUMN "teams_admin_role_state";--> statement-breakpoint
ALTER TABLE "enterprises" DROP COLUMN "teams_admin_role_error";--> statement-breakpoint
ALTER TABLE "enterprises" DROP COLUMN "teams_admin_role_assigned_at";