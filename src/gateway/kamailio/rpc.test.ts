import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKamailioRpc,
  KamailioRpcError,
  parseRegistrationRecord,
  type RegistrationSpec,
  readStatistic,
  regAddParams,
} from "./rpc.ts";

const spec: RegistrationSpec = {
  lUuid: "dev_1",
  lUsername: "dev_1",
  lDomain: "sbc.local",
  rUsername: "alice",
  rDomain: "pbx.example:5070",
  realm: "pbx.example",
  authUsername: "alice-auth",
  authPassword: "s3cret",
  authProxy: "sip:10.0.0.9:5070;transport=tcp",
  expires: 600,
};

/** A record as Kamailio 5.6.3 returns it (captured from `uac.reg_info`). */
const raw = {
  l_uuid: "dev_1",
  l_username: "dev_1",
  l_domain: "sbc.local",
  r_username: "alice",
  r_domain: "pbx.example:5070",
  realm: "pbx.example",
  auth_username: "alice-auth",
  auth_password: "s3cret",
  auth_ha1: "none",
  auth_proxy: "sip:10.0.0.9:5070;transport=tcp",
  expires: 600,
  flags: 20,
  diff_expires: 597,
  timer_expires: 1_000_597,
  reg_init: 999_990,
  reg_delay: 0,
  contact_addr: "127.0.0.1:5080",
  socket: "",
};

describe("uac.reg_add parameters", () => {
  it("are the 15 of Kamailio 5.6.3 in order, socket then contact_addr last, dot for no HA1", () => {
    expect(regAddParams({ ...spec, socket: "udp:127.0.0.1:5080" })).toEqual([
      ...["dev_1", "dev_1", "sbc.local", "alice", "pbx.example:5070", "pbx.example"],
      ...["alice-auth", "s3cret", ".", "sip:10.0.0.9:5070;transport=tcp"],
      600,
      0,
      0,
      "udp:127.0.0.1:5080",
      "",
    ]);
    expect(regAddParams({ ...spec, authPassword: null, authHa1: "abc" })[7]).toBe(".");
    expect(() => regAddParams({ ...spec, authPassword: null })).toThrow(/authPassword/);
  });
});

describe("parseRegistrationRecord", () => {
  const now = 1_000_000;
  it("reads a registered record with its times", () => {
    const record = parseRegistrationRecord(raw, now);
    expect(record).toMatchObject({ lUuid: "dev_1", state: "registered", flags: 20, expires: 600 });
    expect(record.addedAt?.getTime()).toBe(999_990_000);
    expect(record.lastRegisteredAt?.getTime()).toBe(999_997_000);
    expect(record.nextActionAt?.getTime()).toBe(1_000_597_000);
  });

  it("derives every state from flags, timer and expires", () => {
    const state = (over: Record<string, unknown>) =>
      parseRegistrationRecord({ ...raw, ...over }, now).state;
    expect(state({ flags: 0, timer_expires: 0 })).toBe("pending");
    expect(state({ flags: 18 })).toBe("registering");
    expect(state({ flags: 16, timer_expires: now + 25 })).toBe("failed");
    expect(state({ flags: 20, timer_expires: now - 1 })).toBe("failed");
    expect(state({ flags: 16, expires: 0 })).toBe("unregistered");
    expect(state({ flags: 17 })).toBe("disabled");
    expect(parseRegistrationRecord({ ...raw, flags: 16 }, now).lastRegisteredAt).toBeNull();
  });
});

describe("readStatistic", () => {
  const answering =
    (lines: string[]) =>
    async <T>(method: string, params?: unknown[]): Promise<T> => {
      expect(method).toBe("stats.get_statistics");
      expect(params).toHaveLength(1);
      return lines as T;
    };

  it("reads the named statistic of its group, not one whose name merely ends the same", async () => {
    const lines = ["uac:regactive = 7", "other:xregtotal = 99", "uac:regtotal = 10000"];
    expect(await readStatistic(answering(lines), "regtotal")).toBe(10000);
    expect(await readStatistic(answering(lines), "regactive")).toBe(7);
  });

  it("refuses an answer without the statistic or without a number", async () => {
    await expect(readStatistic(answering([]), "regtotal")).rejects.toThrow(/regtotal/);
    await expect(readStatistic(answering(["uac:regtotal = n/a"]), "regtotal")).rejects.toThrow();
  });
});

describe("createKamailioRpc over HTTP", () => {
  let server: Server;
  let url: string;
  const seen: unknown[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => {
        const request = JSON.parse(body) as { id: number; method: string; params: unknown[] };
        seen.push(request);
        const reply = (payload: object) =>
          res.end(JSON.stringify({ jsonrpc: "2.0", id: request.id, ...payload }));
        if (request.method === "uac.reg_info") {
          if (request.params[1] === "dev_1") reply({ result: raw });
          else reply({ error: { code: 404, message: "Record not found" } });
        } else if (request.method === "uac.reg_add") {
          reply({ error: { code: 409, message: "uuid already exists" } });
        } else if (request.method === "htable.dump") {
          reply({
            result: [{ entry: 1, size: 1, slot: [{ name: "+4930", value: "usr_1", type: "str" }] }],
          });
        } else if (request.method === "core.uptime") {
          reply({ result: { uptime: 42 } });
        } else if (request.method === "dispatcher.list") {
          reply({
            result: {
              NRSETS: 1,
              RECORDS: [
                { SET: { ID: 1, TARGETS: [{ DEST: { URI: "sip:a", FLAGS: "AP", PRIORITY: 2 } }] } },
              ],
            },
          });
        } else {
          res.end("not json");
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/RPC`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it("sends JSON-RPC 2.0 and maps results and errors", async () => {
    const rpc = createKamailioRpc({ url, now: () => 1_000_000 });
    expect((await rpc.regInfo("dev_1"))?.state).toBe("registered");
    expect(await rpc.regInfo("nobody")).toBeNull();
    expect(await rpc.coreUptime()).toBe(42);
    expect(await rpc.htableDump("num")).toEqual([{ name: "+4930", value: "usr_1" }]);
    expect(await rpc.dispatcherList()).toEqual([
      { setId: 1, uri: "sip:a", flags: "AP", priority: 2 },
    ]);
    const refused = await rpc.regAdd(spec).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(KamailioRpcError);
    expect(refused).toMatchObject({ code: 409, method: "uac.reg_add" });
    await expect(rpc.call("other.method")).rejects.toThrow(/not JSON/);
    expect(seen[0]).toMatchObject({
      jsonrpc: "2.0",
      method: "uac.reg_info",
      params: ["l_uuid", "dev_1"],
    });
  });

  it("reports an unreachable Kamailio as a KamailioRpcError without a code", async () => {
    const rpc = createKamailioRpc({ url: "http://127.0.0.1:1/RPC", timeoutMs: 500 });
    await expect(rpc.coreUptime()).rejects.toMatchObject({ code: null, method: "core.uptime" });
  });

  it("gives up on a Kamailio that takes the request but never answers", async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = silent.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      const rpc = createKamailioRpc({ url: `http://127.0.0.1:${port}/RPC`, timeoutMs: 200 });
      await expect(rpc.coreUptime()).rejects.toMatchObject({
        code: null,
        message: expect.stringContaining("did not answer"),
      });
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
