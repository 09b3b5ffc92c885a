/**
 * The node's HEP receiver: a UDP socket on 127.0.0.1 where Kamailio's siptrace mirrors every SIP
 * message. Messages are collected into calls; a flush loop posts the trace messages as they come
 * and a call record per leg once a call ended. The client retries transient failures itself; what
 * still fails stays queued for the next tick, within bounds (the oldest is dropped and counted),
 * and what the API refuses outright (4xx) is dropped and counted. Stopping posts what it can
 * within a deadline.
 */
import { createSocket, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import { CdrRecord, maxGatewayBatch, SipTraceMessage } from "../../shared/contracts/gateway.ts";
import { GatewayApiError, type GatewayClient } from "../feed/client.ts";
import { CallCollector, type CallCollectorOptions, type CollectorStats, readSip } from "./calls.ts";
import { type CallOwnerLookup, deriveCdrs } from "./cdr.ts";
import { decodeHep, HEP_PROTOCOL_SIP } from "./hep.ts";
import type { RegisterOutcomes } from "./register-outcomes.ts";

/** Where to listen, where to post, and the bounds of what waits. */
export interface HepReceiverOptions {
  /** UDP port siptrace sends to. */
  port: number;
  /** Address to bind (default 127.0.0.1: siptrace sends over loopback). */
  host?: string;
  client: Pick<GatewayClient, "postCdrs" | "postTraces">;
  /** The node's SIP listeners, which tell legs and directions apart. */
  collector: CallCollectorOptions;
  /** Finds the Teams user of a call when its records are made. */
  owner: CallOwnerLookup;
  /** Between flushes (default 1 s). */
  flushEveryMs?: number;
  /** Trace messages waiting to be posted, at most (default 50,000 and 64 MiB). */
  maxQueuedTraces?: number;
  maxQueuedTraceBytes?: number;
  /** Call records waiting to be posted, at most (default 20,000). */
  maxQueuedCdrs?: number;
  /** How long `stop()` may spend posting (default 3 s). */
  stopDeadlineMs?: number;
  log?: (line: string) => void;
  /** For tests: the clock. */
  now?: () => number;
  /** Where the PBX's answers to REGISTERs are kept (the codes of failed registrations). */
  registerOutcomes?: RegisterOutcomes;
}

/** Counts since the receiver started (the agent's health shows them). */
export interface HepReceiverStats extends CollectorStats {
  /** Datagrams received. */
  packets: number;
  /** Datagrams that were not HEP v3 carrying SIP. */
  malformed: number;
  cdrsPosted: number;
  tracesPosted: number;
  /** Dropped: past the queue's bound, not valid for the API, or refused by it. */
  cdrsDropped: number;
  tracesDropped: number;
  /** Waiting to be posted. */
  cdrsQueued: number;
  tracesQueued: number;
}

/** A running receiver. */
/** Call legs ended with the same leg, direction, disposition and final code. */
export interface EndedLegs {
  leg: string;
  direction: string;
  disposition: string;
  code: number | null;
  count: number;
}

export interface HepReceiver {
  /** Resolves once the socket is bound; rejects when it cannot be. */
  readonly listening: Promise<void>;
  stats(): HepReceiverStats;
  /** Call legs ended since start (records made), grouped. */
  endedLegs(): EndedLegs[];
  /** Runs one flush now (after the one in flight). */
  flush(): Promise<void>;
  /** Closes the socket, then posts ended calls and queued items until done or the deadline. */
  stop(): Promise<void>;
}

/** Bytes of trace text per batch: well under the API's 16 MiB body limit once in JSON. */
const maxBatchTraceBytes = 6 * 1024 * 1024;

/** A FIFO that drops its oldest items beyond a count or a total weight. */
class BoundedQueue<T> {
  private items: T[] = [];
  private head = 0;
  private weight = 0;
  dropped = 0;
  constructor(
    private readonly maxItems: number,
    private readonly maxWeight: number,
    private readonly weigh: (item: T) => number,
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
    this.weight += this.weigh(item);
    while (this.size > this.maxItems || (this.weight > this.maxWeight && this.size > 1)) {
      this.weight -= this.weigh(this.items[this.head]!);
      this.head++;
      this.dropped++;
    }
    this.compact();
  }

  /** The oldest items, up to `max` of them and `maxWeight` in all (at least one). */
  peek(max: number, maxWeight: number): T[] {
    const out: T[] = [];
    let weight = 0;
    for (let i = this.head; i < this.items.length && out.length < max; i++) {
      const item = this.items[i]!;
      weight += this.weigh(item);
      if (out.length > 0 && weight > maxWeight) break;
      out.push(item);
    }
    return out;
  }

  /** Removes the `count` oldest items (the ones just peeked, when nothing was dropped since). */
  remove(items: readonly T[]): void {
    // items dropped for the bound while a post was in flight are gone already
    for (const item of items) {
      if (this.items[this.head] !== item) continue;
      this.weight -= this.weigh(item);
      this.head++;
    }
    this.compact();
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

const traceWeight = (trace: SipTraceMessage) => Buffer.byteLength(trace.message) + 200;

/** Starts receiving on `port` and the flush loop. */
export function startHepReceiver(options: HepReceiverOptions): HepReceiver {
  const log = options.log ?? (() => {});
  const now = options.now ?? Date.now;
  const flushEveryMs = options.flushEveryMs ?? 1_000;
  const host = options.host ?? "127.0.0.1";
  const collector = new CallCollector(options.collector);
  const traces = new BoundedQueue<SipTraceMessage>(
    options.maxQueuedTraces ?? 50_000,
    options.maxQueuedTraceBytes ?? 64 * 1024 * 1024,
    traceWeight,
  );
  const cdrs = new BoundedQueue<CdrRecord>(
    options.maxQueuedCdrs ?? 20_000,
    Number.POSITIVE_INFINITY,
    () => 1,
  );
  const counts = { packets: 0, malformed: 0, cdrsPosted: 0, tracesPosted: 0 };
  const refused = { cdrs: 0, traces: 0 };
  const invalid = { cdrs: 0, traces: 0 };
  const controller = new AbortController();
  let stopped = false;
  const registerOutcomes = options.registerOutcomes ?? null;

  const socket: Socket = createSocket(isIPv6(host) ? "udp6" : "udp4");
  socket.on("message", (datagram) => {
    counts.packets++;
    const packet = decodeHep(datagram);
    if (!packet || (packet.protocolType !== null && packet.protocolType !== HEP_PROTOCOL_SIP)) {
      counts.malformed++;
      return;
    }
    let trace: SipTraceMessage | null;
    try {
      // read once: during a cold start nearly every message is a REGISTER or its answer
      const read = readSip(packet.payload);
      if (read.summary?.cseqMethod === "REGISTER") {
        registerOutcomes?.observe(read.summary, now());
        return;
      }
      trace = collector.add(packet, now(), read);
    } catch (error) {
      // a message this reader trips over must not stop the node
      counts.malformed++;
      log(`HEP message not read: ${String(error)}`);
      return;
    }
    if (!trace) return;
    // one item the API refuses would cost its whole batch
    if (SipTraceMessage.safeParse(trace).success) traces.push(trace);
    else invalid.traces++;
  });
  const listening = new Promise<void>((resolve, reject) => {
    socket.once("listening", () => {
      try {
        // bursts of calls: give the kernel room while the loop is busy posting
        socket.setRecvBufferSize(4 * 1024 * 1024);
      } catch {
        // the system's limit stays
      }
      resolve();
    });
    socket.once("error", reject);
  });
  socket.on("error", (error) => log(`HEP receiver: ${error.message}`));
  listening.catch(() => {});
  socket.bind(options.port, host);

  /** Call legs ended, by leg, direction, disposition and code (the metrics' counter). */
  const ended = new Map<string, EndedLegs>();
  function countEnded(record: CdrRecord): void {
    const code = record.sipCode ?? null;
    const key = `${record.leg}|${record.direction}|${record.disposition}|${code}`;
    const entry = ended.get(key);
    if (entry) entry.count++;
    else
      ended.set(key, {
        leg: record.leg,
        direction: record.direction,
        disposition: record.disposition,
        code,
        count: 1,
      });
  }

  /** Hands ended calls over to the CDR queue. */
  function collect(all: boolean): void {
    for (const call of collector.takeFinished(now(), all))
      for (const record of deriveCdrs(call, options.owner)) {
        countEnded(record);
        if (CdrRecord.safeParse(record).success) cdrs.push(record);
        else invalid.cdrs++;
      }
  }

  /** Posts a queue batch by batch; false when a post failed in a way worth retrying later. */
  async function drain<T>(
    queue: BoundedQueue<T>,
    maxWeight: number,
    post: (items: T[], signal: AbortSignal) => Promise<unknown>,
    onPosted: (count: number) => void,
    onRefused: (count: number) => void,
    what: string,
  ): Promise<boolean> {
    while (queue.size > 0) {
      const batch = queue.peek(maxGatewayBatch, maxWeight);
      try {
        await post(batch, controller.signal);
        onPosted(batch.length);
      } catch (error) {
        if (controller.signal.aborted) return false;
        if (!(error instanceof GatewayApiError) || error.isTransient) {
          log(`posting ${what} failed, kept for the next try: ${String(error)}`);
          return false;
        }
        log(`${what} refused, dropped: ${error.message}`);
        onRefused(batch.length);
      }
      queue.remove(batch);
    }
    return true;
  }

  /** Call records first (what the portal's call list shows), then the traces. */
  async function pump(all = false): Promise<void> {
    collect(all);
    const cdrsDone = await drain(
      cdrs,
      Number.POSITIVE_INFINITY,
      (items, signal) => options.client.postCdrs(items, signal),
      (n) => {
        counts.cdrsPosted += n;
      },
      (n) => {
        refused.cdrs += n;
      },
      "call records",
    );
    if (!cdrsDone) return;
    await drain(
      traces,
      maxBatchTraceBytes,
      (items, signal) => options.client.postTraces(items, signal),
      (n) => {
        counts.tracesPosted += n;
      },
      (n) => {
        refused.traces += n;
      },
      "SIP traces",
    );
  }

  let running: Promise<void> | null = null;
  function flush(all = false): Promise<void> {
    const previous = running ?? Promise.resolve();
    const next = previous.then(() => pump(all)).catch((error) => log(`flush: ${String(error)}`));
    running = next;
    void next.finally(() => {
      if (running === next) running = null;
    });
    return next;
  }

  let timer: NodeJS.Timeout | null = null;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      void flush().finally(schedule);
    }, flushEveryMs);
  };
  schedule();

  let stopping: Promise<void> | null = null;
  return {
    listening,
    stats: () => ({
      ...collector.stats,
      ...counts,
      cdrsDropped: cdrs.dropped + refused.cdrs + invalid.cdrs,
      tracesDropped: traces.dropped + refused.traces + invalid.traces,
      cdrsQueued: cdrs.size,
      tracesQueued: traces.size,
    }),
    endedLegs: () => [...ended.values()].map((entry) => ({ ...entry })),
    flush: () => flush(),
    stop() {
      if (stopping) return stopping;
      stopped = true;
      if (timer) clearTimeout(timer);
      stopping = (async () => {
        await new Promise<void>((done) => {
          try {
            socket.close(() => done());
          } catch {
            done(); // never bound
          }
        });
        const deadlineMs = options.stopDeadlineMs ?? 3_000;
        let deadline: NodeJS.Timeout | undefined;
        const expired = new Promise<void>((done) => {
          deadline = setTimeout(() => {
            controller.abort(new Error("HEP receiver stopped"));
            done();
          }, deadlineMs);
        });
        await Promise.race([flush(true), expired]);
        clearTimeout(deadline);
        controller.abort(new Error("HEP receiver stopped"));
      })();
      return stopping;
    },
  };
}
