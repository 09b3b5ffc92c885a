CREATE TABLE "enterprise_admins" (
	"id" text PRIMARY KEY NOT NULL,
	"enterprise_id" text NOT NULL,
	"oid" text NOT NULL,
	"upn" text,
	"name" text,
	"roles" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_sign_in_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "microsoft_flows" (
	"id" text PRIMARY KEY NOT NULL,
	"purpose" text NOT NULL,
	"enterprise_id" text NOT NULL,
	"invitation_id" text NOT NULL,
	"state_hash" text NOT NULL,
	"nonce" text NOT NULL,
	"sealed_code_verifier" text NOT NULL,
	"round" text DEFAULT 'sign_in' NOT NULL,
	"tenant_id" text,
	"admin_oid" text,
	"admin_upn" text,
	"admin_name" text,
	"admin_roles" text[],
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"failure" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "enterprises" ADD COLUMN "registered_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "enterprises" ADD COLUMN "tenant_name" text;--> statement-breakpoint
ALTER TABLE "enterprises" ADD COLUMN "granted_permissions" text[];--> statement-breakpoint
ALTER TABLE "enterprise_admins" ADD CONSTRAINT "enterprise_admins_enterprise_id_enterprises_id_fk" FOREIGN KEY ("enterprise_id") REFERENCES "public"."enterprises"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "microsoft_flows" ADD CONSTRAINT "microsoft_flows_enterprise_id_enterprises_id_fk" FOREIGN KEY ("enterprise_id") REFERENCES "public"."enterprises"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "microsoft_flows" ADD CONSTRAINT "microsoft_flows_invitation_id_invitations_id_fk" FOREIGN KEY ("invitation_id") REFERENCES "public"."invitations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "enterprise_admins_enterprise_oid_key" ON "enterprise_admins" USING btree ("enterprise_id","oid");--> statement-breakpoint
CREATE UNIQUE INDEX "microsoft_flows_state_key" ON "microsoft_flows" USING btree ("state_hash");--> statement-breakpoint
CREATE INDEX "microsoft_flows_enterprise_idx" ON "microsoft_flows" USING btree ("enterprise_id","created_at");