CREATE TABLE "direct_routes" (
	"id" text PRIMARY KEY NOT NULL,
	"enterprise_id" text NOT NULL,
	"region_id" text NOT NULL,
	"fqdn" text NOT NULL,
	"priority" integer NOT NULL,
	"domain_state" text DEFAULT 'pending' NOT NULL,
	"status" text DEFAULT 'provisioning' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "enterprise_regions" ADD COLUMN "position" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "enterprises" ADD COLUMN "direct_routing_label" text;--> statement-breakpoint
ALTER TABLE "direct_routes" ADD CONSTRAINT "direct_routes_enterprise_id_enterprises_id_fk" FOREIGN KEY ("enterprise_id") REFERENCES "public"."enterprises"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "direct_routes" ADD CONSTRAINT "direct_routes_region_id_regions_id_fk" FOREIGN KEY ("region_id") REFERENCES "public"."regions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "direct_routes_fqdn_key" ON "direct_routes" USING btree (lower("fqdn"));--> statement-breakpoint
CREATE UNIQUE INDEX "direct_routes_enterprise_region_key" ON "direct_routes" USING btree ("enterprise_id","region_id");--> statement-breakpoint
CREATE INDEX "direct_routes_region_idx" ON "direct_routes" USING btree ("region_id");--> statement-breakpoint
CREATE UNIQUE INDEX "enterprises_direct_routing_label_key" ON "enterprises" USING btree ("direct_routing_label");--> statement-breakpoint
-- Regions chosen before their order was kept: alphabetical, the first one primary.
UPDATE "enterprise_regions" AS er SET "position" = o.n
FROM (
  SELECT x.enterprise_id, x.region_id,
         (row_number() OVER (PARTITION BY x.enterprise_id ORDER BY r.name, r.id) - 1)::int AS n
  FROM "enterprise_regions" x JOIN "regions" r ON r.id = x.region_id
) AS o
WHERE er.enterprise_id = o.enterprise_id AND er.region_id = o.region_id;
