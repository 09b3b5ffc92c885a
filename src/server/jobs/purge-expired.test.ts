import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, signIn, type TestApp } from "../../../test/harness.ts";
import { newId } from "../../shared/ids.ts";
import { microsoftFlows, sessions } from "../db/schema/index.ts";
import { buildWorld, type World } from "../db/seed/factories.ts";
import { FLOW_RETENTION_DAYS, purgeExpiredJob } from "./purge-expired.job.ts";
import { schedules } from "./schedule.ts";

let t: TestApp;
let world: World;

beforeAll(async () => {
  t = await createTestApp();
  world = await buildWorld(t.services.db);
});
afterAll(() => t.close());

const day = 86_400_000;
const run = () =>
  purgeExpiredJob.handle(t.services, {}, { id: "purge", attempt: 1, isLastAttempt: true });

function flow(expiresAt: Date) {
  return {
    id: newId("microsoftFlow"),
    purpose: "enterprise_sign_in" as const,
    stateHash: newId("microsoftFlow"),
    nonce: "n",
    sealedCodeVerifier: "v",
    expiresAt,
  };
}

describe("Purging expired records", () => {
  it("is scheduled hourly", () => {
    expect(schedules.find((s) => s.job === purgeExpiredJob)?.cron).toBe("17 * * * *");
  });

  it("deletes expired sessions and old flows, and keeps live ones", async () => {
    const live = await signIn(t.app, world.a.resellerAdmin.username);
    const now = Date.now();
    await t.services.db.insert(sessions).values({
      tokenHash: "expired-session-hash",
      accountId: world.a.resellerAdmin.id,
      csrfToken: "x",
      expiresAt: new Date(now - 1000),
    });
    const old = flow(new Date(now - (FLOW_RETENTION_DAYS + 1) * day));
    const recent = flow(new Date(now - day));
    await t.services.db.insert(microsoftFlows).values([old, recent]);

    await run();
    await run();

    const remaining = await t.services.db.select().from(sessions);
    expect(remaining.some((s) => s.tokenHash === "expired-session-hash")).toBe(false);
    expect((await live.get("/api/v1/auth/session")).status).toBe(200);
    const flows = await t.services.db
      .select({ id: microsoftFlows.id })
      .from(microsoftFlows)
      .where(eq(microsoftFlows.purpose, "enterprise_sign_in"));
    expect(flows.map((f) => f.id)).toEqual([recent.id]);
  });

  it("forgets the delegated token of a flow that ended or expired, and keeps a live one's", async () => {
    const now = Date.now();
    const sealed = { sealedGraphToken: "sealed" };
    const ended = { ...flow(new Date(now + 60_000)), ...sealed, usedAt: new Date(now) };
    const expired = { ...flow(new Date(now - 1000)), ...sealed };
    const live = { ...flow(new Date(now + 60_000)), ...sealed };
    await t.services.db.insert(microsoftFlows).values([ended, expired, live]);

    await run();

    const rows = await t.services.db
      .select({ id: microsoftFlows.id, sealedGraphToken: microsoftFlows.sealedGraphToken })
      .from(microsoftFlows);
    const tokenOf = (id: string) => rows.find((r) => r.id === id)?.sealedGraphToken;
    expect(tokenOf(ended.id)).toBeNull();
    expect(tokenOf(expired.id)).toBeNull();
    expect(tokenOf(live.id)).toBe("sealed");
  });
});
