import { createSocket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import type { BatchAccepted, CdrRecord, SipTraceMessage } from "../../shared/contracts/gateway.ts";
import {
  CdrRecord as CdrSchema,
  SipTraceMessage as TraceSchema,
} from "../../shared/contracts/gateway.ts";
import { GatewayApiError } from "../feed/client.ts";
import { freePort, until } from "../kamailio.test-support.ts";
import {
  collectorOptions,
  inboundCall,
  NODE_PBX,
  PBX,
  scriptedCall,
  t0,
} from "./calls.test-support.ts";
import { encodeHep, type HepInput } from "./hep.test-support.ts";
import { type HepReceiver, type HepReceiverOptions, startHepReceiver } from "./receiver.ts";
import { sipRequest } from "./sip.test-support.ts";

/** A client that records what is posted; `fail` decides, per call, to throw instead. */
function fakeClient(
  fail: (what: "cdrs" | "traces", attempt: number) => Error | "hang" | null = () => null,
) {
  const posted = { cdrs: [] as CdrRecord[], traces: [] as SipTraceMessage[] };
  const attempts = { cdrs: 0, traces: 0 };
  const answer = (n: number): BatchAccepted => ({ accepted: n, duplicates: 0 });
  const post =
    <T>(what: "cdrs" | "traces", into: T[]) =>
    async (items: readonly T[], signal?: AbortSignal) => {
      const failure = fail(what, attempts[what]++);
      if (failure === "hang")
        await new Promise((_, reject) =>
          signal?.addEventListener("abort", () => reject(signal.reason), { once: true }),
        );
      if (failure) throw failure;
      into.push(...items);
      return answer(items.length);
    };
  return {
    posted,
    attempts,
    client: { postCdrs: post("cdrs", posted.cdrs), postTraces: post("traces", posted.traces) },
  };
}

let receiver: HepReceiver | null = null;
afterEach(async () => {
  await receiver?.stop();
  receiver = null;
});

async function start(
  client: HepReceiverOptions["client"],
  overrides: Partial<HepReceiverOptions> = {},
) {
  const port = await freePort();
  receiver = startHepReceiver({
    port,
    client,
    collector: collectorOptions,
    owner: () => ({ userId: "usr_1", enterpriseId: "ent_1" }),
    flushEveryMs: 3_600_000, // flushes are asked for explicitly
    ...overrides,
  });
  await receiver.listening;
  return { receiver, port };
}

/** Sends each datagram to the receiver and waits until it counted them all. */
async function send(r: HepReceiver, port: number, datagrams: Buffer[]) {
  const socket = createSocket("udp4");
  const before = r.stats().packets;
  for (const datagram of datagrams)
    await new Promise<void>((done, fail) =>
      socket.send(datagram, port, "127.0.0.1", (error) => (error ? fail(error) : done())),
    );
  socket.close();
  await until("the datagrams received", async () => r.stats().packets >= before + datagrams.length);
}

const hep = (inputs: HepInput[]) => inputs.map((input) => encodeHep(input));

describe("the HEP receiver", () => {
  it("receives a whole call over UDP and posts its traces and its two call records", async () => {
    const fake = fakeClient();
    const { receiver: r, port } = await start(fake.client);
    const call = scriptedCall(inboundCall());
    const keepAlive = {
      source: PBX,
      destination: NODE_PBX,
      atMs: t0,
      payload: sipRequest("OPTIONS", "sip:node", {
        callId: "ka",
        from: "sip:pbx@x",
        fromTag: "1",
        to: "sip:node@y",
      }),
    };
    await send(r, port, [...hep(call), ...hep([keepAlive]), Buffer.from("not HEP")]);
    await r.stop();

    expect(fake.posted.traces).toHaveLength(call.length);
    for (const trace of fake.posted.traces) TraceSchema.parse(trace);
    const seqs = (leg: string) => fake.posted.traces.filter((t) => t.leg === leg).map((t) => t.seq);
    expect(seqs("pbx")).toEqual(seqs("pbx").map((_, i) => i));
    expect(seqs("microsoft")).toEqual(seqs("microsoft").map((_, i) => i));
    expect(fake.posted.traces.map((t) => t.message)).toEqual(call.map((c) => c.payload));

    expect(fake.posted.cdrs).toHaveLength(2);
    for (const record of fake.posted.cdrs) CdrSchema.parse(record);
    expect(fake.posted.cdrs.map((c) => [c.leg, c.direction, c.disposition, c.userId])).toEqual([
      ["pbx", "inbound", "answered", "usr_1"],
      ["microsoft", "inbound", "answered", "usr_1"],
    ]);
    expect(fake.posted.cdrs[0]).toMatchObject({
      callId: "call-1@pbx",
      caller: "0470123456",
      callee: "dev_1",
      sipCode: 200,
      hangupSide: "callee",
      codec: "PCMA",
      durationSeconds: 60,
    });
    expect(r.stats()).toMatchObject({
      packets: call.length + 2,
      malformed: 1,
      callsSeen: 1,
      cdrsPosted: 2,
      tracesPosted: call.length,
      cdrsDropped: 0,
      tracesDropped: 0,
      cdrsQueued: 0,
      tracesQueued: 0,
    });
  });

  it("keeps what failed to post for the next flush", async () => {
    let clock = t0;
    const fake = fakeClient((what, attempt) =>
      attempt === 0 ? new GatewayApiError(503, null, `${what} unavailable`) : null,
    );
    const { receiver: r, port } = await start(fake.client, { now: () => clock });
    await send(r, port, hep(scriptedCall(inboundCall())));
    clock += 10_000; // past the linger
    await r.flush(); // the records fail; the traces wait behind them
    expect(fake.posted.cdrs).toEqual([]);
    expect(r.stats()).toMatchObject({ cdrsQueued: 2, cdrsPosted: 0 });
    await r.flush(); // records, then traces (whose first post fails)
    expect(fake.posted.cdrs).toHaveLength(2);
    expect(fake.posted.traces).toEqual([]);
    await r.flush();
    expect(r.stats()).toMatchObject({ cdrsPosted: 2, tracesQueued: 0, tracesDropped: 0 });
    expect(fake.posted.traces.length).toBeGreaterThan(0);
  });

  it("drops what the API refuses, and counts it", async () => {
    let clock = t0;
    const fake = fakeClient((what) =>
      what === "traces" ? new GatewayApiError(400, "validation_failed", "no") : null,
    );
    const { receiver: r, port } = await start(fake.client, { now: () => clock });
    const call = scriptedCall(inboundCall());
    await send(r, port, hep(call));
    clock += 10_000;
    await r.flush();
    expect(r.stats()).toMatchObject({
      cdrsPosted: 2,
      tracesPosted: 0,
      tracesDropped: call.length,
      tracesQueued: 0,
    });
  });

  it("bounds what waits to be posted, dropping the oldest", async () => {
    const fake = fakeClient(() => new Error("network down"));
    const { receiver: r, port } = await start(fake.client, { maxQueuedTraces: 5 });
    const call = scriptedCall(inboundCall());
    await send(r, port, hep(call));
    await r.flush();
    expect(r.stats()).toMatchObject({ tracesQueued: 5, tracesDropped: call.length - 5 });
  });

  it("stops within its deadline when the API does not answer", async () => {
    const fake = fakeClient(() => "hang");
    const { receiver: r, port } = await start(fake.client, { stopDeadlineMs: 50 });
    await send(r, port, hep(scriptedCall(inboundCall())));
    await r.stop();
    expect(fake.attempts.cdrs).toBe(1);
    expect(r.stats().cdrsQueued).toBe(2);
  });

  it("reports a port it cannot bind", async () => {
    const { port } = await start(fakeClient().client);
    const second = startHepReceiver({
      port,
      client: fakeClient().client,
      collector: collectorOptions,
      owner: () => null,
    });
    await expect(second.listening).rejects.toThrow(/EADDRINUSE/);
    await second.stop();
  });
});
