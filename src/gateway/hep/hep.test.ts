import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeHep, hepChunk } from "./hep.test-support.ts";
import { decodeHep, formatIpv6, HepChunk, hepTimeMs } from "./hep.ts";

const invite = "INVITE sip:+3211000001@10.0.0.5 SIP/2.0\r\nCall-ID: abc\r\n\r\n";

describe("decodeHep", () => {
  it("reads a packet as siptrace sends it", () => {
    const packet = decodeHep(
      encodeHep({
        source: { address: "192.0.2.10", port: 5060 },
        destination: { address: "10.0.0.5", port: 5080 },
        atMs: 1_780_000_000_123,
        captureId: 7,
        correlationId: "corr-1",
        payload: invite,
      }),
    );
    expect(packet).toEqual({
      ipFamily: 2,
      ipProtocol: 17,
      source: { address: "192.0.2.10", port: 5060 },
      destination: { address: "10.0.0.5", port: 5080 },
      timestampSeconds: 1_780_000_000,
      timestampMicros: 123_000,
      protocolType: 1,
      captureId: 7,
      correlationId: "corr-1",
      payload: expect.any(Uint8Array),
    });
    expect(Buffer.from(packet!.payload).toString()).toBe(invite);
    expect(hepTimeMs(packet!)).toBe(1_780_000_000_123);
  });

  it("reads IPv6 addresses in their compressed form", () => {
    const packet = decodeHep(
      encodeHep({
        source: { address: "2001:db8::1", port: 5061 },
        destination: { address: "2001:db8:0:0:1:0:0:2", port: 5060 },
        payload: invite,
      }),
    );
    expect(packet?.ipFamily).toBe(10);
    expect(packet?.source).toEqual({ address: "2001:db8::1", port: 5061 });
    expect(packet?.destination).toEqual({ address: "2001:db8::1:0:0:2", port: 5060 });
  });

  it("skips chunks of other vendors and unknown types", () => {
    const packet = decodeHep(
      encodeHep(
        {
          source: { address: "127.0.0.1", port: 1 },
          destination: { address: "127.0.0.1", port: 2 },
          payload: invite,
        },
        [
          hepChunk(HepChunk.payload, Buffer.from("not ours"), 0x0021),
          hepChunk(99, Buffer.from("x")),
        ],
      ),
    );
    expect(Buffer.from(packet!.payload).toString()).toBe(invite);
  });

  it("ignores bytes after the stated total length", () => {
    const raw = encodeHep({
      source: { address: "127.0.0.1", port: 1 },
      destination: { address: "127.0.0.1", port: 2 },
      payload: invite,
    });
    expect(decodeHep(Buffer.concat([raw, Buffer.from("trailing")]))).not.toBeNull();
  });

  it("refuses what is not a whole HEP v3 packet with addresses and a payload", () => {
    const raw = encodeHep({
      source: { address: "127.0.0.1", port: 1 },
      destination: { address: "127.0.0.1", port: 2 },
      payload: invite,
    });
    expect(decodeHep(raw.subarray(0, raw.length - 1))).toBeNull(); // truncated
    expect(decodeHep(Buffer.from("HEP2"))).toBeNull();
    expect(decodeHep(Buffer.concat([Buffer.from("XEP3"), raw.subarray(4)]))).toBeNull();
    const badLength = Buffer.from(raw);
    badLength.writeUInt16BE(3, 6 + 4); // first chunk shorter than its own header
    expect(decodeHep(badLength)).toBeNull();
    const badPort = Buffer.concat([
      Buffer.from("HEP3\0\0"),
      hepChunk(HepChunk.sourcePort, Buffer.from([1, 2, 3])),
    ]);
    badPort.writeUInt16BE(badPort.length, 4);
    expect(decodeHep(badPort)).toBeNull();
    const noPayload = Buffer.concat([
      Buffer.from("HEP3\0\0"),
      hepChunk(HepChunk.ipv4Source, Buffer.from([127, 0, 0, 1])),
      hepChunk(HepChunk.ipv4Destination, Buffer.from([127, 0, 0, 1])),
      hepChunk(HepChunk.sourcePort, Buffer.from([0, 1])),
      hepChunk(HepChunk.destinationPort, Buffer.from([0, 2])),
    ]);
    noPayload.writeUInt16BE(noPayload.length, 4);
    expect(decodeHep(noPayload)).toBeNull();
  });

  it("never throws on random bytes, nor on a valid packet cut or corrupted anywhere", () => {
    const base = encodeHep({
      source: { address: "127.0.0.1", port: 1 },
      destination: { address: "127.0.0.1", port: 2 },
      payload: invite,
    });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        decodeHep(bytes);
        decodeHep(Buffer.concat([Buffer.from("HEP3"), bytes]));
      }),
    );
    fc.assert(
      fc.property(
        fc.nat(base.length),
        fc.nat(base.length - 1),
        fc.integer({ min: 0, max: 255 }),
        (cut, at, byte) => {
          const copy = Buffer.from(base);
          copy[at] = byte;
          decodeHep(copy.subarray(0, cut));
          decodeHep(copy);
        },
      ),
    );
  });

  it("decodes what the encoder built (round trip)", () => {
    const endpoint = (address: fc.Arbitrary<string>) =>
      fc.record({ address, port: fc.integer({ min: 0, max: 65535 }) });
    const packetOf = (address: fc.Arbitrary<string>) =>
      fc.record({
        source: endpoint(address),
        destination: endpoint(address),
        atMs: fc.integer({ min: 0, max: 2 ** 32 - 1 }).map((s) => s * 1000 + (s % 1000)),
        captureId: fc.nat(),
        payload: fc.string({ minLength: 0, maxLength: 2000 }),
        correlationId: fc.option(fc.string({ maxLength: 50 }), { nil: undefined }),
      });
    const canonical = (address: string) => new URL(`http://[${address}]/`).hostname.slice(1, -1);
    fc.assert(
      fc.property(fc.oneof(packetOf(fc.ipV4()), packetOf(fc.ipV6())), (input) => {
        const packet = decodeHep(encodeHep(input));
        expect(packet).not.toBeNull();
        const v6 = input.source.address.includes(":");
        const norm = (a: string) => (v6 ? canonical(a) : a);
        expect(packet!.source).toEqual({ ...input.source, address: norm(input.source.address) });
        expect(packet!.destination).toEqual({
          ...input.destination,
          address: norm(input.destination.address),
        });
        expect(hepTimeMs(packet!)).toBe(input.atMs);
        expect(packet!.captureId).toBe(input.captureId);
        expect(packet!.correlationId).toBe(input.correlationId ?? null);
        expect(Buffer.from(packet!.payload).toString()).toBe(Buffer.from(input.payload).toString());
      }),
    );
  });
});

describe("formatIpv6", () => {
  it("writes the canonical RFC 5952 form", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const text = formatIpv6(bytes);
        expect(new URL(`http://[${text}]/`).hostname).toBe(`[${text}]`);
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(0, 0, 0, 1, 0xffff), { minLength: 8, maxLength: 8 }),
        (groups) => {
          const bytes = Buffer.alloc(16);
          groups.forEach((g, i) => {
            bytes.writeUInt16BE(g, i * 2);
          });
          const text = formatIpv6(bytes);
          expect(new URL(`http://[${text}]/`).hostname).toBe(`[${text}]`);
        },
      ),
    );
  });
});
