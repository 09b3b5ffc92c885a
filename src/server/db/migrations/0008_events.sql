CREATE TABLE "events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tx_id" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"name" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_account_id" text,
	"actor_label" text NOT NULL,
	"client_address" text,
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"subject_label" text,
	"master_reseller_id" text,
	"reseller_id" text,
	"enterprise_id" text,
	"payload" jsonb NOT NULL
);
--> statement-breakpoint
CREATE INDEX "events_cursor_idx" ON "events" USING btree ("tx_id","id");--> statement-breakpoint
CREATE INDEX "events_at_idx" ON "events" USING btree ("at");--> statement-breakpoint
CREATE INDEX "events_master_reseller_idx" ON "events" USING btree ("master_reseller_id","at");--> statement-breakpoint
CREATE INDEX "events_reseller_idx" ON "events" USING btree ("reseller_id","at");--> statement-breakpoint
CREATE INDEX "events_enterprise_idx" ON "events" USING btree ("enterprise_id","at");--> statement-breakpoint
CREATE INDEX "events_subject_idx" ON "events" USING btree ("subject_id","at");--> statement-breakpoint
INSERT INTO "events" ("name", "at", "actor_account_id", "actor_label", "client_address", "subject_type", "subject_id", "subject_label", "master_reseller_id", "reseller_id", "enterprise_id", "payload")
SELECT "action", "at", "actor_account_id", "actor_label", "client_address", "target_type", "target_id", "target_label", "master_reseller_id", "reseller_id", "enterprise_id",
  (CASE WHEN "before" IS NULL OR "before" = 'null'::jsonb THEN '{}'::jsonb ELSE jsonb_build_object('before', "before") END)
  || (CASE WHEN "after" IS NULL OR "after" = 'null'::jsonb THEN '{}'::jsonb ELSE jsonb_build_object('after', "after") END)
FROM "audit_log" ORDER BY "at", "id";
--> statement-breakpoint
DROP TABLE "audit_log";
