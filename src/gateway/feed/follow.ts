import type { GatewaySnapshot } from "../../shared/contracts/gateway.ts";
import {
  type Affected,
  applyChanges,
  applySnapshot,
  emptyState,
  isUnaffected,
  type RegionState,
  type StateUpdate,
  toSnapshot,
} from "../state.ts";
import {
  abortableSleep,
  backoffDelay,
  GatewayApiError,
  type GatewayClient,
  type RetryPolicy,
} from "./client.ts";
import type { CursorStore } from "./cursor-store.ts";

/*
 * Follows the gateway feed (ADR 0019): resume from the persisted state and cursor, or take a
 * snapshot; then long-poll the changes after the cursor, apply each page, persist, and tell the
 * reconcilers what changed. The position is persisted only after a page is applied, so a restart
 * resumes from the last applied page and misses nothing (a page seen twice is harmless: changes
 * carry current state).
 */

/** Why the state changed: read back at start, a (re-)snapshot, or a page of changes. */
export type FeedUpdateReason = "resume" | "snapshot" | "changes";

export interface FeedUpdate {
  reason: FeedUpdateReason;
  state: RegionState;
  affected: Affected;
}

export interface FollowFeedOptions {
  client: Pick<GatewayClient, "snapshot" | "changes">;
  store: CursorStore;
  /** Stops the loop: `followFeed` then resolves with the last state. */
  signal: AbortSignal;
  /** Called after each applied and persisted update that touched something; awaited. */
  onChanged: (update: FeedUpdate) => void | Promise<void>;
  /** Long-poll wait, seconds (default 25; the API caps it at 30). */
  waitSeconds?: number;
  /** Persist the state with the cursor so a restart resumes without a snapshot (default true). */
  persistState?: boolean;
  /**
   * A page that moves the cursor but changes nothing is persisted at most this often (default
   * 60 s): the state file can be large, and resuming a little further back only re-reads events.
   */
  idlePersistEveryMs?: number;
  /** Re-read the snapshot this often to bound drift the feed cannot express (default 24 h). */
  resnapshotEveryMs?: number;
  /** Back-off between failed rounds (after the client's own retries). */
  backoff?: Pick<RetryPolicy, "baseMs" | "maxMs">;
  /** Told of every failure the loop survives, with the delay before the next try. */
  onError?: (error: unknown, delayMs: number) => void;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

const defaultBackoff = { baseMs: 500, maxMs: 30_000 };

/**
 * An answer that no retry will change and no snapshot will fix: the node's token is unknown or
 * revoked (401) or refused (403). The loop stops with it.
 */
function isFatal(error: unknown): boolean {
  return error instanceof GatewayApiError && (error.status === 401 || error.status === 403);
}

/** Runs until `signal` aborts (resolving with the last state) or the token is refused (rejecting). */
export async function followFeed(options: FollowFeedOptions): Promise<RegionState> {
  const { client, store, signal, onChanged } = options;
  const waitSeconds = options.waitSeconds ?? 25;
  const persistState = options.persistState ?? true;
  const resnapshotEveryMs = options.resnapshotEveryMs ?? 24 * 3_600_000;
  const idlePersistEveryMs = options.idlePersistEveryMs ?? 60_000;
  const backoff = options.backoff ?? defaultBackoff;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;

  let state = emptyState();
  /** Set when the cursor must be dropped (never had one, or the API refused it). */
  let needsSnapshot = true;
  let snapshotAt = now();
  let persistedAt = Number.NEGATIVE_INFINITY;

  async function persist(): Promise<void> {
    if (state.cursor === null) return;
    const snapshot: GatewaySnapshot | null = persistState ? toSnapshot(state) : null;
    await store.save({ cursor: state.cursor, snapshot });
    persistedAt = now();
  }

  async function commit(reason: FeedUpdateReason, update: StateUpdate, save: boolean) {
    state = update.state;
    if (save) await persist();
    if (!isUnaffected(update.affected))
      await onChanged({ reason, state, affected: update.affected });
  }

  const loaded = await store.load();
  if (loaded?.snapshot) {
    await commit("resume", applySnapshot(loaded.snapshot), false);
    needsSnapshot = false;
  }

  let failures = 0;
  while (!signal.aborted) {
    try {
      if (needsSnapshot || now() - snapshotAt >= resnapshotEveryMs) {
        const snapshot = await client.snapshot(signal);
        await commit("snapshot", applySnapshot(snapshot, state), true);
        needsSnapshot = false;
        snapshotAt = now();
      } else {
        const cursor = state.cursor!;
        let page: Awaited<ReturnType<GatewayClient["changes"]>>;
        try {
          page = await client.changes(cursor, waitSeconds, signal);
        } catch (error) {
          // 400: the API no longer accepts this cursor (or it is malformed): start again.
          if (error instanceof GatewayApiError && error.status === 400) {
            needsSnapshot = true;
            failures = 0;
            continue;
          }
          throw error;
        }
        const save =
          page.changes.length > 0 ||
          (page.cursor !== cursor && now() - persistedAt >= idlePersistEveryMs);
        await commit("changes", applyChanges(state, page), save);
      }
      failures = 0;
    } catch (error) {
      if (signal.aborted) break;
      if (isFatal(error)) throw error;
      const delay = backoffDelay(failures, backoff, random);
      failures++;
      options.onError?.(error, delay);
      try {
        await sleep(delay, signal);
      } catch {
        break;
      }
    }
  }
  return state;
}
