CREATE TABLE "device_registration_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "device_registration_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"device_id" text NOT NULL,
	"enterprise_id" text NOT NULL,
	"state" text NOT NULL,
	"code" integer,
	"reason" text,
	"node_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "device_registration_events" ADD CONSTRAINT "device_registration_events_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_registration_events" ADD CONSTRAINT "device_registration_events_enterprise_id_enterprises_id_fk" FOREIGN KEY ("enterprise_id") REFERENCES "public"."enterprises"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_registration_events" ADD CONSTRAINT "device_registration_events_node_id_gateway_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."gateway_nodes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "device_registration_events_device_idx" ON "device_registration_events" USING btree ("device_id","at","id");--> statement-breakpoint
CREATE INDEX "device_registration_events_enterprise_idx" ON "device_registration_events" USING btree ("enterprise_id");--> statement-breakpoint
-- The history starts with each device's stored state, attributed to the node now holding its lease
-- (reports are applied only from the holder); a device without a report or a lease starts empty.
INSERT INTO "device_registration_events" ("device_id", "enterprise_id", "state", "code", "reason", "node_id", "at")
SELECT d."id", d."enterprise_id", d."registration_state", d."registration_code", d."registration_reason", d."lease_node_id", d."registration_reported_at"
FROM "devices" d
WHERE d."registration_state" <> 'unknown' AND d."registration_reported_at" IS NOT NULL
  AND d."lease_node_id" IN (SELECT "id" FROM "gateway_nodes");
