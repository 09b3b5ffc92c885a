import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildSnapshot } from "../gateway.test-support.ts";
import { fileCursorStore } from "./cursor-store.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "teamgate-cursor-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("fileCursorStore", () => {
  it("has nothing before the first save", async () => {
    expect(await fileCursorStore(join(dir, "feed.json")).load()).toBeNull();
  });

  it("reads back the cursor and snapshot it saved, leaving no temporary file, readable only by its owner", async () => {
    const path = join(dir, "state", "feed.json");
    const store = fileCursorStore(path);
    const snapshot = buildSnapshot({ cursor: "7.3" });
    await store.save({ cursor: "7.3", snapshot });
    await store.save({ cursor: "7.3", snapshot });
    expect(await fileCursorStore(path).load()).toEqual({ cursor: "7.3", snapshot });
    expect(await readdir(join(dir, "state"))).toEqual(["feed.json"]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("keeps a cursor without a snapshot, and drops a snapshot of another cursor", async () => {
    const path = join(dir, "feed.json");
    await fileCursorStore(path).save({ cursor: "8.0", snapshot: null });
    expect(await fileCursorStore(path).load()).toEqual({ cursor: "8.0", snapshot: null });
    await fileCursorStore(path).save({ cursor: "9.0", snapshot: buildSnapshot({ cursor: "8.0" }) });
    expect(await fileCursorStore(path).load()).toEqual({ cursor: "9.0", snapshot: null });
  });

  it("treats a torn or foreign file as no position (start from a snapshot)", async () => {
    const path = join(dir, "feed.json");
    await writeFile(path, '{"version":1,"cursor":"1.');
    expect(await fileCursorStore(path).load()).toBeNull();
    await writeFile(path, JSON.stringify({ version: 1, cursor: "nope", snapshot: null }));
    expect(await fileCursorStore(path).load()).toBeNull();
  });

  it("forgets on clear", async () => {
    const path = join(dir, "feed.json");
    const store = fileCursorStore(path);
    await store.save({ cursor: "1.0", snapshot: null });
    await store.clear();
    expect(await store.load()).toBeNull();
    await expect(readFile(path)).rejects.toThrow();
  });
});
