import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeTestServices, createTestServices, type TestServices } from "../../../test/harness.ts";
import { regions } from "../db/schema/index.ts";
import { buildRegion } from "../db/seed/factories.ts";
import { sendPasswordResetJob } from "../modules/accounts/index.ts";
import { enqueue } from "./queue.ts";

let services: TestServices;
beforeAll(async () => {
  services = await createTestServices();
});
afterAll(() => closeTestServices(services));

const queued = async () => (await services.boss.getQueueSize(sendPasswordResetJob.name)) as number;

describe("enqueue (transactional outbox)", () => {
  it("commits the job together with the rows of its transaction", async () => {
    const before = await queued();
    await services.db.transaction(async (tx) => {
      await buildRegion(tx, { name: "Outbox committed" });
      await enqueue(services.boss, tx, sendPasswordResetJob, {
        resetId: "pwr_x",
        sealedToken: "sealed",
      });
    });
    expect(await queued()).toBe(before + 1);
  });

  it("queues a job to start later", async () => {
    const id = await services.db.transaction((tx) =>
      enqueue(
        services.boss,
        tx,
        sendPasswordResetJob,
        { resetId: "pwr_later", sealedToken: "sealed" },
        { startAfterSeconds: 120 },
      ),
    );
    const result = (await services.db.execute(
      sql`SELECT extract(epoch FROM start_after - now()) AS seconds FROM pgboss.job WHERE id = ${id}`,
    )) as unknown as { rows: { seconds: string | number }[] };
    const seconds = Number(result.rows[0]?.seconds);
    expect(seconds).toBeGreaterThan(100);
    expect(seconds).toBeLessThanOrEqual(121);
  });

  it("leaves no job behind when the transaction rolls back", async () => {
    const before = await queued();
    await expect(
      services.db.transaction(async (tx) => {
        await buildRegion(tx, { name: "Outbox rolled back" });
        await enqueue(services.boss, tx, sendPasswordResetJob, {
          resetId: "pwr_y",
          sealedToken: "sealed",
        });
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect(await queued()).toBe(before);
    const rows = await services.db
      .select()
      .from(regions)
      .where(sql`${regions.name} = 'Outbox rolled back'`);
    expect(rows).toEqual([]);
  });

  it("validates the payload before writing anything", async () => {
    await expect(
      services.db.transaction((tx) =>
        enqueue(services.boss, tx, sendPasswordResetJob, { resetId: 1 } as never),
      ),
    ).rejects.toThrow();
  });
});
