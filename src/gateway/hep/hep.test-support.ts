/**
 * A small HEP v3 encoder for tests: builds the packets Kamailio's siptrace would send, so the
 * decoder, the collector and the receiver can be exercised without Kamailio.
 */
import { isIPv6 } from "node:net";
import { HEP_PROTOCOL_SIP, HepChunk } from "./hep.ts";

export interface HepInput {
  source: { address: string; port: number };
  destination: { address: string; port: number };
  /** Capture time in milliseconds (default 0). */
  atMs?: number;
  ipProtocol?: number;
  protocolType?: number;
  captureId?: number;
  correlationId?: string;
  payload: string | Uint8Array;
}

function ipv6Bytes(text: string): Buffer {
  // the URL parser writes any IPv6 form (embedded IPv4 too) as plain hex groups
  const address = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const [head = "", tail] = address.split("::");
  const part = (text: string) => (text === "" ? [] : text.split(":").map((g) => parseInt(g, 16)));
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  const groups = [...left, ...Array(8 - left.length - right.length).fill(0), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => {
    out.writeUInt16BE(g, i * 2);
  });
  return out;
}

function chunk(type: number, value: Buffer, vendor = 0): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16BE(vendor, 0);
  header.writeUInt16BE(type, 2);
  header.writeUInt16BE(value.length + 6, 4);
  return Buffer.concat([header, value]);
}

const u8 = (n: number) => Buffer.from([n]);
const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/** Encodes one packet as siptrace lays it out (extra chunks, e.g. another vendor's, appended). */
export function encodeHep(input: HepInput, extraChunks: Buffer[] = []): Buffer {
  const v6 = isIPv6(input.source.address);
  const address = (text: string) =>
    v6 ? ipv6Bytes(text) : Buffer.from(text.split(".").map((n) => Number(n)));
  const atMs = input.atMs ?? 0;
  const chunks = [
    chunk(HepChunk.ipFamily, u8(v6 ? 10 : 2)),
    chunk(HepChunk.ipProtocol, u8(input.ipProtocol ?? 17)),
    chunk(v6 ? HepChunk.ipv6Source : HepChunk.ipv4Source, address(input.source.address)),
    chunk(
      v6 ? HepChunk.ipv6Destination : HepChunk.ipv4Destination,
      address(input.destination.address),
    ),
    chunk(HepChunk.sourcePort, u16(input.source.port)),
    chunk(HepChunk.destinationPort, u16(input.destination.port)),
    chunk(HepChunk.timestampSeconds, u32(Math.floor(atMs / 1000))),
    chunk(HepChunk.timestampMicros, u32((atMs % 1000) * 1000)),
    chunk(HepChunk.protocolType, u8(input.protocolType ?? HEP_PROTOCOL_SIP)),
    chunk(HepChunk.captureId, u32(input.captureId ?? 1)),
    ...(input.correlationId === undefined
      ? []
      : [chunk(HepChunk.correlationId, Buffer.from(input.correlationId))]),
    chunk(HepChunk.payload, Buffer.from(input.payload)),
    ...extraChunks,
  ];
  const body = Buffer.concat(chunks);
  const header = Buffer.alloc(6);
  header.write("HEP3", 0, "latin1");
  header.writeUInt16BE(body.length + 6, 4);
  return Buffer.concat([header, body]);
}

/** A raw chunk, for tests that need unusual ones. */
export const hepChunk = chunk;
