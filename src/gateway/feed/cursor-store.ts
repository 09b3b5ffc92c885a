import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { GatewayCursor, GatewaySnapshot } from "../../shared/contracts/gateway.ts";

/*
 * Where the agent keeps its place in the feed across restarts. A cursor alone cannot rebuild the
 * state (the changes before it are not replayed), so the store also keeps the state as a snapshot
 * at that cursor; without one the agent starts from a fresh snapshot. The file holds device
 * passwords: it is written with mode 0600.
 */

/** What was persisted: the cursor, and the state at it (as a snapshot) when kept. */
export interface PersistedFeed {
  cursor: string;
  snapshot: GatewaySnapshot | null;
}

export interface CursorStore {
  /** The last saved position, or null when none (or unreadable: start from a snapshot). */
  load(): Promise<PersistedFeed | null>;
  /** Saves atomically: a reader sees the old or the new content, never a mix. */
  save(feed: PersistedFeed): Promise<void>;
  /** Forgets the position (the next start takes a snapshot). */
  clear(): Promise<void>;
}

const StoredFeed = z.object({
  version: z.literal(1),
  cursor: GatewayCursor,
  snapshot: GatewaySnapshot.nullable(),
});

/**
 * A store in one JSON file, replaced by writing a temporary file beside it, syncing it, then
 * renaming it over the old one (atomic on POSIX file systems).
 */
export function fileCursorStore(path: string): CursorStore {
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw error;
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return null;
      }
      const parsed = StoredFeed.safeParse(json);
      if (!parsed.success) return null;
      const { cursor, snapshot } = parsed.data;
      // A snapshot at another position than the cursor cannot be resumed from.
      return { cursor, snapshot: snapshot && snapshot.cursor === cursor ? snapshot : null };
    },
    async save(feed) {
      await mkdir(dirname(path), { recursive: true });
      const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
      const file = await open(temporary, "w", 0o600);
      try {
        await file.writeFile(JSON.stringify({ version: 1, ...feed }));
        await file.sync();
      } finally {
        await file.close();
      }
      try {
        await rename(temporary, path);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
    },
    async clear() {
      await rm(path, { force: true });
    },
  };
}

/** A store in memory (tests, or a node that always starts from a snapshot). */
export function memoryCursorStore(initial: PersistedFeed | null = null): CursorStore & {
  readonly saved: PersistedFeed | null;
} {
  let saved = initial;
  return {
    get saved() {
      return saved;
    },
    async load() {
      return saved && structuredClone(saved);
    },
    async save(feed) {
      saved = structuredClone(feed);
    },
    async clear() {
      saved = null;
    },
  };
}
