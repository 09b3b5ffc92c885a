/**
 * rtpengine's ng control protocol, as far as the agent needs it: a UDP datagram holding a cookie,
 * a space and a bencoded dictionary; the answer repeats the cookie. Kamailio drives the calls'
 * media through its own rtpengine module; the agent only asks for statistics (metrics).
 */
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";

export type Bencoded = number | string | Bencoded[] | { [key: string]: Bencoded };

/** Encodes strings, integers, lists and dictionaries (keys sorted, as bencode requires). */
export function bencode(value: Bencoded): Buffer {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`bencode takes integers only: ${value}`);
    return Buffer.from(`i${value}e`);
  }
  if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    return Buffer.concat([Buffer.from(`${bytes.length}:`), bytes]);
  }
  if (Array.isArray(value))
    return Buffer.concat([Buffer.from("l"), ...value.map(bencode), Buffer.from("e")]);
  const keys = Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return Buffer.concat([
    Buffer.from("d"),
    ...keys.flatMap((key) => [bencode(key), bencode(value[key] as Bencoded)]),
    Buffer.from("e"),
  ]);
}

/** Decodes one bencoded value that fills `input` exactly; throws on anything malformed. */
export function bdecode(input: Buffer): Bencoded {
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`bencode: ${what} at byte ${at}`);
  };
  const value = (depth: number): Bencoded => {
    if (depth > 64) fail("nested too deep");
    const c = input[at];
    if (c === undefined) return fail("unexpected end");
    if (c === 0x69 /* i */) {
      const end = input.indexOf(0x65 /* e */, at);
      if (end < 0) fail("unterminated integer");
      const text = input.toString("latin1", at + 1, end);
      if (!/^(0|-?[1-9]\d*)$/.test(text)) fail("bad integer");
      at = end + 1;
      const n = Number(text);
      if (!Number.isSafeInteger(n)) fail("integer too large");
      return n;
    }
    if (c === 0x6c /* l */) {
      at++;
      const list: Bencoded[] = [];
      while (input[at] !== 0x65) list.push(value(depth + 1));
      at++;
      return list;
    }
    if (c === 0x64 /* d */) {
      at++;
      const dict: { [key: string]: Bencoded } = Object.create(null);
      while (input[at] !== 0x65) {
        const key = value(depth + 1);
        if (typeof key !== "string") fail("dictionary key is not a string");
        dict[key as string] = value(depth + 1);
      }
      at++;
      return dict;
    }
    if (c >= 0x30 && c <= 0x39) {
      const colon = input.indexOf(0x3a /* : */, at);
      if (colon < 0) fail("string without length");
      const lengthText = input.toString("latin1", at, colon);
      if (!/^(0|[1-9]\d*)$/.test(lengthText)) fail("bad string length");
      const start = colon + 1;
      const end = start + Number(lengthText);
      if (end > input.length) fail("string past the end");
      at = end;
      return input.toString("utf8", start, end);
    }
    return fail("unknown type");
  };
  const result = value(0);
  if (at !== input.length) fail("trailing bytes");
  return result;
}

export interface NgClient {
  /** Sends one command; resolves with rtpengine's answer dictionary. */
  command(body: { command: string; [key: string]: Bencoded }): Promise<{ [key: string]: Bencoded }>;
}

/** An ng client for rtpengine on 127.0.0.1:`port`; each command waits up to `timeoutMs`. */
export function createNgClient(o: { port: number; host?: string; timeoutMs?: number }): NgClient {
  return {
    command(body) {
      const cookie = randomBytes(8).toString("hex");
      const socket = createSocket("udp4");
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          socket.close();
          reject(
            new Error(`rtpengine did not answer ${body.command} within ${o.timeoutMs ?? 1_000} ms`),
          );
        }, o.timeoutMs ?? 1_000);
        socket.on("message", (datagram) => {
          const space = datagram.indexOf(0x20);
          if (space < 0 || datagram.toString("latin1", 0, space) !== cookie) return;
          clearTimeout(timer);
          socket.close();
          try {
            const answer = bdecode(datagram.subarray(space + 1));
            if (typeof answer !== "object" || Array.isArray(answer))
              throw new Error("rtpengine's answer is not a dictionary");
            resolve(answer);
          } catch (error) {
            reject(error);
          }
        });
        socket.on("error", (error) => {
          clearTimeout(timer);
          socket.close();
          reject(error);
        });
        socket.send(
          Buffer.concat([Buffer.from(`${cookie} `), bencode(body)]),
          o.port,
          o.host ?? "127.0.0.1",
        );
      });
    },
  };
}

/** The media sessions rtpengine relays now (`statistics` → currentstatistics.sessionstotal). */
export async function rtpengineSessions(client: NgClient): Promise<number> {
  const answer = await client.command({ command: "statistics" });
  const stats = answer.statistics;
  const current =
    stats && typeof stats === "object" && !Array.isArray(stats)
      ? stats.currentstatistics
      : undefined;
  const total =
    current && typeof current === "object" && !Array.isArray(current)
      ? current.sessionstotal
      : undefined;
  if (typeof total !== "number") throw new Error("rtpengine's statistics hold no session count");
  return total;
}
