/**
 * A decoder of HEP v3 (the Homer encapsulation protocol), the way Kamailio's siptrace mirrors
 * every SIP message it receives and sends to the agent. Pure, and it never throws: a truncated
 * or malformed packet, or one without the addresses and payload a trace needs, decodes to null.
 *
 * Layout (all integers big-endian): "HEP3", the total length (uint16, header included), then
 * chunks of vendor id (uint16), type (uint16), length (uint16, its 6-byte header included) and
 * the value. Only vendor 0 (the generic chunks) is read; other vendors' chunks are skipped.
 */

/** Generic chunk types (vendor 0) this decoder reads. */
export const HepChunk = {
  ipFamily: 1,
  ipProtocol: 2,
  ipv4Source: 3,
  ipv4Destination: 4,
  ipv6Source: 5,
  ipv6Destination: 6,
  sourcePort: 7,
  destinationPort: 8,
  timestampSeconds: 9,
  timestampMicros: 10,
  protocolType: 11,
  captureId: 12,
  payload: 15,
  correlationId: 17,
} as const;

/** `protocolType` of a SIP payload. */
export const HEP_PROTOCOL_SIP = 1;

/** One end of a mirrored message. */
export interface HepEndpoint {
  /** IPv4 dotted or IPv6 in its canonical compressed form. */
  address: string;
  port: number;
}

/** A decoded HEP v3 packet: the addresses, ports and payload are always present. */
export interface HepPacket {
  /** 2 (IPv4) or 10 (IPv6) as the sender wrote it; null when absent. */
  ipFamily: number | null;
  /** 17 UDP, 6 TCP… as the sender wrote it; null when absent. */
  ipProtocol: number | null;
  source: HepEndpoint;
  destination: HepEndpoint;
  /** Capture time; null when the packet carries none. */
  timestampSeconds: number | null;
  timestampMicros: number | null;
  /** What the payload is (1 = SIP); null when absent. */
  protocolType: number | null;
  captureId: number | null;
  correlationId: string | null;
  payload: Uint8Array;
}

const HEADER_BYTES = 6;
const CHUNK_HEADER_BYTES = 6;

/** Formats 16 bytes as RFC 5952 text: lower case, the longest run of two or more zero groups as `::`. */
export function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(":");
  if (bestLength < 2) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

const utf8 = new TextDecoder("utf-8");

/** Decodes one HEP v3 datagram; null when it is not one or lacks what a trace needs. */
export function decodeHep(buf: Uint8Array): HepPacket | null {
  if (buf.length < HEADER_BYTES) return null;
  if (buf[0] !== 0x48 || buf[1] !== 0x45 || buf[2] !== 0x50 || buf[3] !== 0x33) return null;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const total = view.getUint16(4);
  if (total < HEADER_BYTES || total > buf.length) return null;

  let ipFamily: number | null = null;
  let ipProtocol: number | null = null;
  let sourceAddress: string | null = null;
  let destinationAddress: string | null = null;
  let sourcePort: number | null = null;
  let destinationPort: number | null = null;
  let timestampSeconds: number | null = null;
  let timestampMicros: number | null = null;
  let protocolType: number | null = null;
  let captureId: number | null = null;
  let correlationId: string | null = null;
  let payload: Uint8Array | null = null;

  let offset = HEADER_BYTES;
  while (offset < total) {
    if (offset + CHUNK_HEADER_BYTES > total) return null;
    const vendor = view.getUint16(offset);
    const type = view.getUint16(offset + 2);
    const length = view.getUint16(offset + 4);
    if (length < CHUNK_HEADER_BYTES || offset + length > total) return null;
    const start = offset + CHUNK_HEADER_BYTES;
    const size = length - CHUNK_HEADER_BYTES;
    const value = buf.subarray(start, start + size);
    offset += length;
    if (vendor !== 0) continue;
    const fixed = (expected: number) => size === expected;
    switch (type) {
      case HepChunk.ipFamily:
        if (!fixed(1)) return null;
        ipFamily = view.getUint8(start);
        break;
      case HepChunk.ipProtocol:
        if (!fixed(1)) return null;
        ipProtocol = view.getUint8(start);
        break;
      case HepChunk.ipv4Source:
      case HepChunk.ipv4Destination: {
        if (!fixed(4)) return null;
        const address = Array.from(value).join(".");
        if (type === HepChunk.ipv4Source) sourceAddress = address;
        else destinationAddress = address;
        break;
      }
      case HepChunk.ipv6Source:
      case HepChunk.ipv6Destination: {
        if (!fixed(16)) return null;
        const address = formatIpv6(value);
        if (type === HepChunk.ipv6Source) sourceAddress = address;
        else destinationAddress = address;
        break;
      }
      case HepChunk.sourcePort:
        if (!fixed(2)) return null;
        sourcePort = view.getUint16(start);
        break;
      case HepChunk.destinationPort:
        if (!fixed(2)) return null;
        destinationPort = view.getUint16(start);
        break;
      case HepChunk.timestampSeconds:
        if (!fixed(4)) return null;
        timestampSeconds = view.getUint32(start);
        break;
      case HepChunk.timestampMicros:
        if (!fixed(4)) return null;
        timestampMicros = view.getUint32(start);
        break;
      case HepChunk.protocolType:
        if (!fixed(1)) return null;
        protocolType = view.getUint8(start);
        break;
      case HepChunk.captureId:
        if (!fixed(4)) return null;
        captureId = view.getUint32(start);
        break;
      case HepChunk.correlationId:
        correlationId = utf8.decode(value);
        break;
      case HepChunk.payload:
        payload = value;
        break;
      default:
        break;
    }
  }
  if (
    sourceAddress === null ||
    destinationAddress === null ||
    sourcePort === null ||
    destinationPort === null ||
    payload === null
  )
    return null;
  return {
    ipFamily,
    ipProtocol,
    source: { address: sourceAddress, port: sourcePort },
    destination: { address: destinationAddress, port: destinationPort },
    timestampSeconds,
    timestampMicros,
    protocolType,
    captureId,
    correlationId,
    payload,
  };
}

/** The packet's capture time in milliseconds, or null when it carries none. */
export function hepTimeMs(packet: HepPacket): number | null {
  if (packet.timestampSeconds === null) return null;
  return packet.timestampSeconds * 1000 + Math.floor((packet.timestampMicros ?? 0) / 1000);
}
