CREATE TABLE "cdrs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "cdrs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"call_id" text NOT NULL,
	"leg" text NOT NULL,
	"node_id" text NOT NULL,
	"region_id" text NOT NULL,
	"master_reseller_id" text,
	"reseller_id" text,
	"enterprise_id" text,
	"user_id" text,
	"direction" text NOT NULL,
	"caller" text NOT NULL,
	"callee" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"answered_at" timestamp with time zone,
	"ended_at" timestamp with time zone NOT NULL,
	"disposition" text NOT NULL,
	"sip_code" integer,
	"sip_reason" text,
	"hangup_side" text,
	"codec" text,
	"duration_seconds" integer NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gateway_nodes" (
	"id" text PRIMARY KEY NOT NULL,
	"region_id" text NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "sip_traces" (
	"call_id" text NOT NULL,
	"leg" text NOT NULL,
	"seq" integer NOT NULL,
	"node_id" text NOT NULL,
	"region_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"direction" text NOT NULL,
	"source" text NOT NULL,
	"destination" text NOT NULL,
	"message" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sip_traces_call_id_leg_seq_pk" PRIMARY KEY("call_id","leg","seq")
);
--> statement-breakpoint
ALTER TABLE "cdrs" ADD CONSTRAINT "cdrs_node_id_gateway_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."gateway_nodes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cdrs" ADD CONSTRAINT "cdrs_region_id_regions_id_fk" FOREIGN KEY ("region_id") REFERENCES "public"."regions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gateway_nodes" ADD CONSTRAINT "gateway_nodes_region_id_regions_id_fk" FOREIGN KEY ("region_id") REFERENCES "public"."regions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sip_traces" ADD CONSTRAINT "sip_traces_node_id_gateway_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."gateway_nodes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sip_traces" ADD CONSTRAINT "sip_traces_region_id_regions_id_fk" FOREIGN KEY ("region_id") REFERENCES "public"."regions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "cdrs_call_leg_key" ON "cdrs" USING btree ("call_id","leg");--> statement-breakpoint
CREATE INDEX "cdrs_started_idx" ON "cdrs" USING btree ("started_at","id");--> statement-breakpoint
CREATE INDEX "cdrs_enterprise_idx" ON "cdrs" USING btree ("enterprise_id","started_at","id");--> statement-breakpoint
CREATE INDEX "cdrs_reseller_idx" ON "cdrs" USING btree ("reseller_id","started_at","id");--> statement-breakpoint
CREATE INDEX "cdrs_master_reseller_idx" ON "cdrs" USING btree ("master_reseller_id","started_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "gateway_nodes_region_name_key" ON "gateway_nodes" USING btree ("region_id",lower("name"));--> statement-breakpoint
CREATE UNIQUE INDEX "gateway_nodes_token_hash_key" ON "gateway_nodes" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "sip_traces_received_idx" ON "sip_traces" USING btree ("received_at");