import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DataDirLockedError, openPglite } from "./client.ts";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "teamgate-lock-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("PGlite data directory lock", () => {
  it("refuses a second opener while the first holds the directory, and frees it on close", async () => {
    const dir = tempDir();
    const first = await openPglite({ dataDir: dir });
    // The lock names the holder; a live pid that is not ours stands for another process.
    writeFileSync(join(dir, "teamgate.pid"), String(process.ppid));
    await expect(openPglite({ dataDir: dir })).rejects.toBeInstanceOf(DataDirLockedError);
    writeFileSync(join(dir, "teamgate.pid"), String(process.pid));
    await first.close();
    const second = await openPglite({ dataDir: dir });
    await second.close();
  }, 60_000);

  it("takes over the stale lock of a dead process", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "teamgate.pid"), "999999");
    const database = await openPglite({ dataDir: dir });
    await database.close();
  }, 60_000);
});
