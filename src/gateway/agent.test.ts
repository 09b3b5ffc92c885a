import { createSocket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import type {
  CdrRecord,
  GatewayChange,
  GatewayChanges,
  LeasesResponse,
  RegistrationReport,
} from "../shared/contracts/gateway.ts";
import {
  type AgentKamailio,
  type AgentRpc,
  dueReports,
  forEachConcurrently,
  type GatewayAgent,
  type GatewayAgentOptions,
  sipListeners,
  startGatewayAgent,
  toRegistrationSpec,
} from "./agent.ts";
import type { GatewayClient } from "./feed/client.ts";
import { memoryCursorStore } from "./feed/cursor-store.ts";
import { buildPbx, buildSnapshot, buildUser } from "./gateway.test-support.ts";
import { NODE_MICROSOFT, NODE_PBX, scriptedCall } from "./hep/calls.test-support.ts";
import { encodeHep } from "./hep/hep.test-support.ts";
import type { RegistrationRecord, RegistrationSpec } from "./kamailio/rpc.ts";
import { freePort } from "./kamailio.test-support.ts";
import { deviceValue } from "./reconcile/htables.ts";
import { requestedExpires } from "./reconcile/registrations.ts";

/** The Microsoft listener's TLS files and networks (never read: Kamailio is a fake here). */
const tlsFiles = {
  tls: {
    certificatePath: "/nonexistent/cert.pem",
    privateKeyPath: "/nonexistent/key.pem",
    caListPath: "/nonexistent/ca.pem",
    requireClientCertificate: true,
    configPath: "/nonexistent/tls.cfg",
  },
  networks: ["52.112.0.0/14"],
};

/** Every call the fakes saw, in order. */
type Call = [string, ...unknown[]];

function record(spec: RegistrationSpec, state: RegistrationRecord["state"]): RegistrationRecord {
  return {
    lUuid: spec.lUuid,
    lUsername: spec.lUsername,
    lDomain: spec.lDomain,
    rUsername: spec.rUsername,
    rDomain: spec.rDomain,
    realm: spec.realm,
    authUsername: spec.authUsername,
    authProxy: spec.authProxy,
    expires: spec.expires,
    flags: 0,
    state,
    addedAt: null,
    nextActionAt: null,
    lastRegisteredAt: null,
    contactAddr: "",
    socket: "",
  };
}

function fakes() {
  const calls: Call[] = [];
  const pages: GatewayChanges[] = [];
  let wake: (() => void) | null = null;
  let cursor = 100;
  const leases = (ids: readonly string[]): LeasesResponse => ({
    leases: ids.map((deviceId) => ({ deviceId, expiresAt: "2099-01-01T00:00:00Z" })),
    lost: [],
    leasePeriodSeconds: 30,
  });
  const client: GatewayClient = {
    snapshot: async () => buildSnapshot(),
    changes: async (_after, _wait, signal) => {
      while (pages.length === 0) {
        signal?.throwIfAborted();
        await new Promise<void>((done) => {
          wake = done;
          signal?.addEventListener("abort", () => done(), { once: true });
        });
      }
      return pages.shift()!;
    },
    acquireLeases: async (body) => {
      calls.push(["acquire", body.deviceIds]);
      return leases(body.deviceIds ?? []);
    },
    renewLeases: async (ids) => {
      calls.push(["renew", ids]);
      return leases(ids);
    },
    releaseLeases: async (ids) => {
      calls.push(["release", [...ids]]);
      return leases([]);
    },
    reportRegistrations: async (items) => {
      calls.push(["report", items]);
      return { items: items.map((i) => ({ deviceId: i.deviceId, status: 200 as const })) };
    },
    postCdrs: async (items) => {
      calls.push(["cdrs", items]);
      return { accepted: items.length, duplicates: 0 };
    },
    postTraces: async (items) => {
      calls.push(["traces", items]);
      return { accepted: items.length, duplicates: 0 };
    },
  };
  const uac = new Map<string, RegistrationRecord>();
  const htables = new Map<string, string>();
  const rpc: AgentRpc = {
    regAdd: async (spec) => {
      calls.push(["regAdd", spec]);
      uac.set(spec.lUuid, record(spec, "registered"));
    },
    regReplace: async (spec) => {
      calls.push(["regReplace", spec]);
      uac.set(spec.lUuid, record(spec, "registered"));
    },
    regRemove: async (id) => {
      calls.push(["regRemove", id]);
      uac.delete(id);
    },
    regDump: async () => [...uac.values()],
    htableSet: async (table, key, value) => {
      htables.set(`${table}:${key}`, value);
    },
    htableDelete: async (table, key) => {
      htables.delete(`${table}:${key}`);
    },
    regSetEnabled: async (id, enabled) => {
      calls.push([enabled ? "regEnable" : "regDisable", id]);
      const found = uac.get(id);
      // enabled again, it is tried and (here) registers
      if (found) uac.set(id, { ...found, state: enabled ? "registered" : "disabled" });
    },
  };
  let onStarted: () => void = () => {};
  /** The options of each stop of the fake Kamailio. */
  const kamailioStops: Array<{ kill?: boolean } | undefined> = [];
  const kamailio: AgentKamailio = {
    state: "running",
    stop: async (options) => {
      kamailioStops.push(options);
    },
  };
  return {
    calls,
    kamailioStops,
    uac,
    htables,
    client,
    rpc,
    startKamailio: (started: () => void) => {
      onStarted = started;
      queueMicrotask(started);
      return kamailio;
    },
    restart() {
      uac.clear();
      htables.clear();
      onStarted();
    },
    push(...changes: GatewayChange[]) {
      pages.push({ cursor: `${++cursor}.0`, more: false, changes });
      wake?.();
    },
  };
}

async function until(what: string, probe: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 5));
  }
}

describe("the gateway agent", () => {
  let agent: GatewayAgent | null = null;
  afterEach(async () => {
    await agent?.stop();
    agent = null;
  });

  function start(f: ReturnType<typeof fakes>, more: Partial<GatewayAgentOptions> = {}) {
    agent = startGatewayAgent({
      apiUrl: "http://api.invalid/api/v1",
      token: "gw.x.y",
      sipAddress: "127.0.0.1",
      sipPort: 5060,
      runDir: "/nonexistent",
      reportEveryMs: 20,
      log: () => {},
      client: f.client,
      store: memoryCursorStore(),
      startKamailio: f.startKamailio,
      rpc: f.rpc,
      receiveHep: false,
      ...more,
    });
    return agent;
  }

  it("crashes as a dead machine would: Kamailio killed, no registration removed, no lease released", async () => {
    const f = fakes();
    const a = start(f);
    await until("two registrations", () => f.uac.size === 2);
    await a.crash();
    expect(f.kamailioStops).toEqual([{ kill: true }]);
    expect(f.calls.filter((c) => c[0] === "release" || c[0] === "regRemove")).toEqual([]);
    const after = f.calls.length;
    await new Promise((done) => setTimeout(done, 100));
    expect(f.calls).toHaveLength(after);
    expect(a.health().leases).toBe(0);
  });

  it("leases the region's devices, registers them and fills the htables", async () => {
    const f = fakes();
    const a = start(f);
    await until("two registrations", () => f.uac.size === 2);
    expect(f.calls[0]).toEqual(["acquire", ["dev_1", "dev_2"]]);
    const spec = f.calls.find(
      (c) => c[0] === "regAdd" && (c[1] as RegistrationSpec).lUuid === "dev_1",
    );
    expect(spec?.[1]).toEqual({
      lUuid: "dev_1",
      lUsername: "dev_1",
      lDomain: "127.0.0.1",
      rUsername: "101",
      rDomain: "pbx.acme.example",
      realm: "",
      authUsername: "auth1",
      authPassword: "secret-1",
      authProxy: "sip:pbx.acme.example:5060;transport=udp",
      // the PBX's 300 s less the device's jitter
      expires: requestedExpires(300, "dev_1"),
    });
    expect(f.htables.get("dev:dev_1")).toBe(deviceValue("usr_1", "auth1", "secret-1"));
    expect(f.htables.get("num:+3211000001")).toBe("usr_1");
    await until("ready", () => a.ready());
    expect(a.health()).toMatchObject({ feedFollowed: true, leases: 2, cursor: "100.0" });
  });

  it("writes where an SRV PBX may call from into pbxip, and drops it with the location", async () => {
    const f = fakes();
    f.client.snapshot = async () =>
      buildSnapshot({ pbxes: [buildPbx({ dnsLookup: "SRV", sipDomain: "pbx-srv.example" })] });
    const asked: string[] = [];
    const noData = () => Promise.reject(Object.assign(new Error("ENODATA"), { code: "ENODATA" }));
    start(f, {
      pbxDns: {
        resolveNaptr: noData,
        resolveSrv: async (name) => {
          asked.push(name);
          return [{ name: "host-a.pbx-srv.example", port: 5070 }];
        },
        resolve4: async () => [{ address: "10.0.0.1", ttl: 60 }],
        resolve6: noData,
      },
    });
    await until("pbxip", () => f.htables.get("pbxip:pbx-srv.example|10.0.0.1") === "1");
    expect(asked).toEqual(["_sip._udp.pbx-srv.example"]);
    f.push({ kind: "pbx", pbxId: "pbx_1", pbx: null });
    await until("pbxip emptied", () => !f.htables.has("pbxip:pbx-srv.example|10.0.0.1"));
  });

  it("reports each registration state once, when it changes", async () => {
    const f = fakes();
    start(f);
    await until("a report of both", () =>
      f.calls.some((c) => c[0] === "report" && (c[1] as RegistrationReport[]).length === 2),
    );
    const first = f.calls.find((c) => c[0] === "report")![1] as RegistrationReport[];
    expect(first.map((r) => [r.deviceId, r.state])).toEqual([
      ["dev_1", "registered"],
      ["dev_2", "registered"],
    ]);
    f.uac.get("dev_2")!.state = "failed";
    await until("a report of dev_2 failing", () =>
      f.calls.some(
        (c) => c[0] === "report" && (c[1] as RegistrationReport[])[0]?.state === "failed",
      ),
    );
    const reports = f.calls.filter((c) => c[0] === "report");
    expect(reports).toHaveLength(2);
    expect(reports[1]![1]).toEqual([
      expect.objectContaining({ deviceId: "dev_2", state: "failed" }),
    ]);
  });

  it("takes a failed registration out of uac's retries and gives it back after its back-off", async () => {
    const f = fakes();
    start(f, { registrationBackoff: { baseSeconds: 0.1, maxSeconds: 1 } });
    await until("two registrations", () => f.uac.size === 2);
    const failedAt = Date.now();
    f.uac.get("dev_2")!.state = "failed";
    f.uac.get("dev_2")!.nextActionAt = new Date(failedAt + 30_000);
    await until("dev_2 enabled again", () => f.calls.some((c) => c[0] === "regEnable"));
    const disable = f.calls.findIndex((c) => c[0] === "regDisable");
    const enable = f.calls.findIndex((c) => c[0] === "regEnable");
    expect(f.calls[disable]).toEqual(["regDisable", "dev_2"]);
    expect(f.calls[enable]).toEqual(["regEnable", "dev_2"]);
    expect(disable).toBeLessThan(enable);
    // reported failed once; registered again once tried
    await until("dev_2 reported registered again", () =>
      f.calls.some(
        (c, i) =>
          i > enable &&
          c[0] === "report" &&
          (c[1] as RegistrationReport[]).some(
            (r) => r.deviceId === "dev_2" && r.state === "registered",
          ),
      ),
    );
    expect(f.calls.filter((c) => c[0] === "regDisable")).toHaveLength(1);
  });

  it("removes a disabled user's registration before releasing its lease, and drops its routes", async () => {
    const f = fakes();
    start(f);
    await until("two registrations", () => f.uac.size === 2);
    f.push({ kind: "user", userId: "usr_2", user: buildUser({ userId: "usr_2", enabled: false }) });
    await until("the lease released", () => f.calls.some((c) => c[0] === "release"));
    const remove = f.calls.findIndex((c) => c[0] === "regRemove" && c[1] === "dev_2");
    const release = f.calls.findIndex((c) => c[0] === "release");
    expect(remove).toBeGreaterThanOrEqual(0);
    expect(remove).toBeLessThan(release);
    expect(f.calls[release]).toEqual(["release", ["dev_2"]]);
    expect([...f.uac.keys()]).toEqual(["dev_1"]);
    await until("its number unrouted", () => !f.htables.has("num:+3211000002"));
    expect(f.htables.has("dev:dev_2")).toBe(false);
  });

  it("adds everything again when Kamailio restarts", async () => {
    const f = fakes();
    start(f);
    await until("two registrations", () => f.uac.size === 2);
    const htableCount = f.htables.size;
    f.restart();
    await until("two registrations again", () => f.uac.size === 2);
    await until("the htables again", () => f.htables.size === htableCount);
    expect(f.calls.filter((c) => c[0] === "regAdd")).toHaveLength(4);
  });

  it("replaces a registration whose password changed", async () => {
    const f = fakes();
    start(f);
    await until("two registrations", () => f.uac.size === 2);
    f.push({
      kind: "user",
      userId: "usr_1",
      user: buildUser({ device: { deviceId: "dev_1", sipAuthId: "auth1", password: "new" } }),
    });
    await until("a replace", () => f.calls.some((c) => c[0] === "regReplace"));
    const replace = f.calls.find((c) => c[0] === "regReplace")![1] as RegistrationSpec;
    expect(replace).toMatchObject({ lUuid: "dev_1", authPassword: "new" });
  });

  it("keeps a registration whose expiry uac raised itself after a 423 (Interval Too Brief)", async () => {
    const f = fakes();
    start(f);
    await until("two registrations", () => f.uac.size === 2);
    const before = f.calls.length;
    // the PBX wanted at least an hour: uac asks 3600 from now on
    f.uac.set("dev_1", { ...f.uac.get("dev_1")!, expires: 3600 });
    // a later pass (a third user added) leaves it alone
    f.push({ kind: "user", userId: "usr_3", user: buildUser({ userId: "usr_3" }) });
    await until("the third registration", () => f.uac.has("dev_3"));
    expect(f.calls.slice(before).filter((c) => c[0] === "regReplace")).toEqual([]);
    // a changed expiry in the portal still replaces it
    f.push({ kind: "pbx", pbxId: "pbx_1", pbx: buildPbx({ registrationExpiry: 600 }) });
    await until("a replace", () => f.calls.slice(before).some((c) => c[0] === "regReplace"));
  });
  it("acquires every lease it wants in its first round, a batch of 1,000 at a time", async () => {
    const f = fakes();
    const users = Array.from({ length: 2_500 }, (_, i) => buildUser({ userId: `usr_${i + 1}` }));
    f.client.snapshot = async () => buildSnapshot({ users });
    const free = users.map((u) => u.device!.deviceId);
    const asked: number[] = [];
    f.client.acquireLeases = async (body) => {
      asked.push(body.deviceIds?.length ?? body.max ?? 100);
      const ids = body.deviceIds ?? free.slice(0, body.max ?? 100);
      for (const id of ids) free.splice(free.indexOf(id), 1);
      return {
        leases: ids.map((deviceId) => ({ deviceId, expiresAt: "2099-01-01T00:00:00Z" })),
        lost: [],
        leasePeriodSeconds: 30,
      };
    };
    const a = start(f);
    // the next lease round is 10 s away (a third of the period): this is the first one
    await until("2,500 registrations", () => f.uac.size === 2_500);
    expect(asked).toEqual([1_000, 1_000, 500]);
    expect(a.health().leases).toBe(2_500);
  });

  it("takes leases and registers while the htables are still filling: a long fill delays no registration", async () => {
    const f = fakes();
    const set = f.rpc.htableSet;
    let release = () => {};
    const filling = new Promise<void>((done) => {
      release = done;
    });
    f.rpc.htableSet = async (table, key, value) => {
      await filling;
      await set(table, key, value);
    };
    start(f);
    await until("two registrations", () => f.uac.size === 2);
    expect(f.htables.size).toBe(0);
    release();
    await until("the htables filled", () => f.htables.has("dev:dev_1"));
  });

  it("stops promptly while a pass waits on the API, whose calls end only when aborted", async () => {
    const f = fakes();
    const asked: string[] = [];
    /** Never answers: rejects only when the call's signal aborts (no signal: never). */
    const hang =
      (name: string) =>
      (..._args: unknown[]): Promise<never> => {
        const signal = _args.find((a): a is AbortSignal => a instanceof AbortSignal);
        asked.push(name);
        return new Promise((_, reject) => {
          signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
        });
      };
    f.client.acquireLeases = hang("acquire");
    f.client.renewLeases = hang("renew");
    f.client.releaseLeases = hang("release");
    f.client.reportRegistrations = hang("report");
    const a = start(f);
    await until("a lease acquisition in flight", () => asked.includes("acquire"));
    const outcome = await Promise.race([
      a.stop().then(() => "stopped"),
      new Promise((done) => setTimeout(() => done("still waiting after 2 s"), 2_000)),
    ]);
    expect(outcome).toBe("stopped");
    agent = null;
  });
  it("makes no more Kamailio calls of a pass once stopped", async () => {
    const f = fakes();
    const users = Array.from({ length: 50 }, (_, i) => buildUser({ userId: `usr_${i + 1}` }));
    f.client.snapshot = async () => buildSnapshot({ users });
    let open: () => void = () => {};
    const gate = new Promise<void>((done) => {
      open = done;
    });
    let added = 0;
    let addedAfterStop = 0;
    let stopping = false;
    f.rpc.regAdd = async () => {
      added++;
      if (stopping) addedAfterStop++;
      await gate;
    };
    const a = start(f);
    await until("registrations being added", () => added > 0);
    stopping = true;
    const stopped = a.stop();
    open();
    await stopped;
    agent = null;
    expect(addedAfterStop).toBe(0);
    expect(added).toBeLessThan(50);
  });
});

describe("the gateway agent's HEP receiver", () => {
  it("posts the call records and traces of a call Kamailio mirrored, and counts them", async () => {
    const f = fakes();
    const hepPort = await freePort();
    const a = startGatewayAgent({
      apiUrl: "http://api.invalid/api/v1",
      token: "gw.x.y",
      sipAddress: NODE_PBX.address,
      sipPort: NODE_PBX.port,
      kamailio: { microsoft: { ...NODE_MICROSOFT, ...tlsFiles } },
      hepPort,
      runDir: "/nonexistent",
      log: () => {},
      client: f.client,
      store: memoryCursorStore(),
      startKamailio: f.startKamailio,
      rpc: f.rpc,
    });
    await until("ready", () => a.ready());
    const call = scriptedCall({
      callId: "agent-call",
      t0: Date.parse("2026-12-04T10:00:00Z"),
      from: "microsoft",
      caller: "3211000002",
      calleeIn: "+3222222222",
      calleeOut: "022222222",
      outcome: { answered: false, status: 486, reason: "Busy Here" },
    });
    const socket = createSocket("udp4");
    for (const input of call)
      await new Promise<void>((done) =>
        socket.send(encodeHep(input), hepPort, "127.0.0.1", () => done()),
      );
    socket.close();
    const traced = () =>
      f.calls.filter((c) => c[0] === "traces").flatMap((c) => c[1] as unknown[]).length;
    // the flush loop posts the trace messages as they come (every second)
    await until("every message traced", () => traced() === call.length, 10_000);
    // the stop posts the ended call at once
    await a.stop();
    const cdrs = f.calls.filter((c) => c[0] === "cdrs").flatMap((c) => c[1] as CdrRecord[]);
    expect(cdrs.map((c) => [c.leg, c.direction, c.disposition, c.userId, c.enterpriseId])).toEqual([
      ["microsoft", "outbound", "busy", "usr_2", "ent_1"],
      ["pbx", "outbound", "busy", "usr_2", "ent_1"],
    ]);
    expect(traced()).toBe(call.length);
    expect(a.health().calls).toMatchObject({ seen: 1, cdrsPosted: 2, tracesPosted: call.length });
  });

  it("reads the node's listeners from its options", () => {
    const base = { apiUrl: "", token: "", runDir: "", sipAddress: "10.0.0.5", sipPort: 5060 };
    expect(sipListeners(base)).toEqual({
      pbx: { address: "10.0.0.5", port: 5060 },
      listeners: [{ address: "10.0.0.5", port: 5060 }],
    });
    expect(
      sipListeners({
        ...base,
        kamailio: { microsoft: { address: "10.0.0.6", port: 5061, ...tlsFiles } },
      }).listeners,
    ).toEqual([
      { address: "10.0.0.5", port: 5060 },
      { address: "10.0.0.6", port: 5061 },
    ]);
  });
});

describe("toRegistrationSpec", () => {
  const registration = {
    l_uuid: "dev_1",
    l_username: "dev_1",
    r_username: "101",
    r_domain: "pbx.acme.example",
    auth_username: "auth1",
    auth_password: "secret-1",
    auth_proxy: "sip:pbx.acme.example:5061;transport=tls",
    expires: 300,
    userId: "usr_1",
    enterpriseId: "ent_1",
    pbxId: "pbx_1",
  };

  it("gives a device of a PBX reached over TLS the node's TLS Contact, any other uac's own", () => {
    const tls = "10.0.1.5:5061;transport=tls";
    expect(toRegistrationSpec(registration, "sbc.example", tls).contactAddr).toBe(tls);
    expect(toRegistrationSpec(registration, "sbc.example").contactAddr).toBeUndefined();
    for (const proxy of ["sip:pbx.acme.example:5060;transport=udp", "sip:pbx.acme.example"])
      expect(
        toRegistrationSpec({ ...registration, auth_proxy: proxy }, "sbc.example", tls).contactAddr,
      ).toBeUndefined();
  });
});

describe("dueReports", () => {
  const rec = (id: string, state: RegistrationRecord["state"]) =>
    record(
      {
        ...{ lUuid: id, lUsername: id, lDomain: "", rUsername: "", rDomain: "", realm: "" },
        ...{ authUsername: "", authPassword: "x", authProxy: "", expires: 300 },
      },
      state,
    );
  it("skips in-between states and unleased devices, and reports a vanished one unregistered", () => {
    const records = [rec("a", "registering"), rec("b", "failed"), rec("x", "registered")];
    const at = "2026-01-01T00:00:00.000Z";
    expect(
      dueReports(records, new Set(["a", "b", "c"]), new Map([["c", "registered"]]), at),
    ).toEqual([
      { deviceId: "b", state: "failed", at },
      { deviceId: "c", state: "unregistered", at },
    ]);
  });

  it("gives a failure the PBX's last answer to the device's REGISTER, when one was seen", () => {
    const records = [rec("a", "failed"), rec("b", "failed"), rec("c", "registered")];
    const at = "2026-01-01T00:00:00.000Z";
    const answers: Record<string, { code: number; reason: string | null }> = {
      a: { code: 403, reason: "Forbidden" },
      c: { code: 200, reason: "OK" },
    };
    expect(
      dueReports(records, new Set(["a", "b", "c"]), new Map(), at, (id) => answers[id]),
    ).toEqual([
      { deviceId: "a", state: "failed", at, code: 403, reason: "Forbidden" },
      { deviceId: "b", state: "failed", at },
      { deviceId: "c", state: "registered", at },
    ]);
  });
});

describe("forEachConcurrently", () => {
  it("keeps at most the limit in flight and runs each item once", async () => {
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    await forEachConcurrently(
      Array.from({ length: 20 }, (_, i) => i),
      3,
      new AbortController().signal,
      async (i) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((done) => setTimeout(done, 1));
        seen.push(i);
        inFlight--;
      },
    );
    expect(most).toBe(3);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("starts no more after a failure and rejects with it", async () => {
    const started: number[] = [];
    const run = forEachConcurrently(
      [1, 2, 3, 4, 5, 6],
      2,
      new AbortController().signal,
      async (i) => {
        started.push(i);
        if (i === 1) await new Promise((done) => setTimeout(done, 5));
        if (i === 2) throw new Error("no 2");
      },
    );
    await expect(run).rejects.toThrow("no 2");
    expect(started).toEqual([1, 2]);
  });

  it("starts nothing once aborted", async () => {
    const controller = new AbortController();
    controller.abort(new Error("stopped"));
    const started: number[] = [];
    await expect(
      forEachConcurrently([1, 2], 2, controller.signal, async (i) => {
        started.push(i);
      }),
    ).rejects.toThrow("stopped");
    expect(started).toEqual([]);
  });
});
