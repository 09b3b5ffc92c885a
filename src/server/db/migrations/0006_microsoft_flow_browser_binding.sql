ALTER TABLE "microsoft_flows" ADD COLUMN "browser_binding_hash" text;--> statement-breakpoint
CREATE INDEX "sessions_expires_idx" ON "sessions" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "microsoft_flows_expires_idx" ON "microsoft_flows" USING btree ("expires_at");