import { describe, expect, it } from "vitest";
import { BoundedWrites, prefetched, rechunked } from "./streams.ts";

async function* source<T>(items: T[], fetched: T[] = []) {
  for (const item of items) {
    fetched.push(item);
    yield item;
  }
}

async function all<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

describe("streams", () => {
  it("prefetched asks for the next item before the consumer is done with the current one", async () => {
    const fetched: number[] = [];
    const seen: number[][] = [];
    for await (const item of prefetched(source([1, 2, 3], fetched))) {
      await Promise.resolve();
      seen.push([item, ...fetched]);
    }
    expect(seen).toEqual([
      [1, 1, 2],
      [2, 1, 2, 3],
      [3, 1, 2, 3],
    ]);
  });

  it("rechunked re-cuts arrays into full chunks, the last one shorter", async () => {
    expect(await all(rechunked(source([[1, 2, 3], [4], [5, 6, 7, 8, 9]]), 4))).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9],
    ]);
  });

  it("BoundedWrites keeps at most `limit` writes in flight and reports the first failure", async () => {
    const writes = new BoundedWrites(2);
    let inflight = 0;
    let most = 0;
    const task =
      (fail = false) =>
      async () => {
        inflight++;
        most = Math.max(most, inflight);
        await new Promise((resolve) => setImmediate(resolve));
        inflight--;
        if (fail) throw new Error("write failed");
      };
    for (let i = 0; i < 5; i++) await writes.run(task());
    await writes.drain();
    expect(most).toBe(2);
    await writes.run(task(true));
    await expect(writes.drain()).rejects.toThrow("write failed");
  });
});
