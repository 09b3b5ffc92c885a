import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, kamailioTestsWanted, until } from "../kamailio.test-support.ts";
import { type Supervisor, superviseProcess } from "../supervisor.ts";
import { type Bencoded, bdecode, bencode, createNgClient, rtpengineSessions } from "./ng.ts";
import { rtpengineArgs } from "./render.ts";

const bencodable: fc.Arbitrary<Bencoded> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.integer(),
    fc.string(),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string(), tie("value"), { maxKeys: 4 }),
  ),
})).value as fc.Arbitrary<Bencoded>;

describe("bencode", () => {
  it("encodes dictionaries with their keys sorted, as rtpengine expects", () => {
    expect(bencode({ command: "statistics", "call-id": "a", x: [1, "b"] }).toString()).toBe(
      "d7:call-id1:a7:command10:statistics1:xli1e1:bee",
    );
  });

  it("decodes what it encodes", () => {
    fc.assert(
      fc.property(bencodable, (value) => {
        expect(bdecode(bencode(value))).toEqual(value);
      }),
    );
  });

  it("throws a clear error on malformed input, never anything else", () => {
    for (const bad of ["", "i12", "i01e", "5:abc", "l", "d1:ae", "di1e1:ae", "x", "i1ei2e"])
      expect(() => bdecode(Buffer.from(bad)), bad).toThrow(/^bencode: /);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          bdecode(Buffer.from(bytes));
        } catch (error) {
          expect(String(error)).toMatch(/bencode: /);
        }
      }),
    );
  });
});

const rtpenginePresent = !spawnSync("rtpengine", ["--version"]).error;
describe.skipIf(!(kamailioTestsWanted && rtpenginePresent))("ng against a real rtpengine", () => {
  let rtpengine: Supervisor;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    const portMin = 40_000 + (port % 10_000);
    rtpengine = superviseProcess({
      cmd: "rtpengine",
      args: rtpengineArgs({
        interface: { address: "127.0.0.1" },
        ngPort: port,
        portMin,
        portMax: portMin + 9,
      }),
    });
  });
  afterAll(async () => {
    await rtpengine?.stop();
  });

  it("answers ping and counts no session when idle", async () => {
    const client = createNgClient({ port, timeoutMs: 500 });
    await until(
      "rtpengine's pong",
      async () => (await client.command({ command: "ping" })).result === "pong",
    );
    expect(await rtpengineSessions(client)).toBe(0);
  });
});
