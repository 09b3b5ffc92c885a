/**
 * Reads the few SIP fields a call record needs from one message's text, as Kamailio mirrored it:
 * the start line, Call-ID, CSeq, From/To (user and tag), P-Asserted-Identity and the first audio
 * codec of an SDP body. Not a SIP parser: Kamailio has already parsed and accepted the message,
 * so this only picks values out of it, and gives null for what it cannot read.
 */

/** A party of From, To or P-Asserted-Identity. */
export interface SipParty {
  /** The URI's user part (`+3211000001`, `101`); null for a URI without one. */
  user: string | null;
  tag: string | null;
}

/** The fields of one message; null where the message does not carry or show them. */
export interface SipSummary {
  /** The request's method; null for a response. */
  method: string | null;
  requestUri: string | null;
  /** The user part of the Request-URI. */
  requestUser: string | null;
  /** The response's status code; null for a request. */
  status: number | null;
  reason: string | null;
  callId: string | null;
  /** CSeq's number: a retransmission repeats it, a new request of the dialog raises it. */
  cseqNumber: number | null;
  cseqMethod: string | null;
  from: SipParty | null;
  to: SipParty | null;
  /** The user part of P-Asserted-Identity's first URI. */
  assertedUser: string | null;
  /** The user part of the first Contact URI (a device's registration names its id there). */
  contactUser: string | null;
  /** The first audio codec of the SDP body (`PCMA`, `opus`); null without SDP or audio. */
  audioCodec: string | null;
  /**
   * The digest algorithm of each WWW-Authenticate / Proxy-Authenticate challenge, in order,
   * upper-cased (`MD5`, `SHA-256`); a challenge without one is MD5 (RFC 8760 §2.3).
   */
  digestAlgorithms: string[];
}

const compactNames: Record<string, string> = {
  i: "call-id",
  f: "from",
  t: "to",
  c: "content-type",
  m: "contact",
  l: "content-length",
};

/** Codec names of the static RTP payload types (RFC 3551), for SDP without an rtpmap line. */
const staticPayloads: Record<string, string> = {
  "0": "PCMU",
  "3": "GSM",
  "4": "G723",
  "8": "PCMA",
  "9": "G722",
  "18": "G729",
};

/** The user part of a `sip:`, `sips:` or `tel:` URI (its parameters left out). */
export function uriUser(uri: string): string | null {
  const match = /^(sips?|tel):([^?]*)/i.exec(uri.trim());
  if (!match) return null;
  const scheme = match[1]!.toLowerCase();
  const rest = match[2]!;
  let user: string;
  if (scheme === "tel") user = rest;
  else {
    const at = rest.lastIndexOf("@");
    if (at < 0) return null;
    user = rest.slice(0, at);
  }
  user = user.split(";")[0]!.split(":")[0]!;
  if (user === "") return null;
  try {
    return decodeURIComponent(user);
  } catch {
    return user;
  }
}

/** The URI and the header parameters of a From/To/P-Asserted-Identity value. */
function nameAddr(value: string): { uri: string; params: string } {
  let i = 0;
  // a quoted display name may hold `<` or `;`
  const trimmed = value.trim();
  if (trimmed.startsWith('"')) {
    i = 1;
    while (i < trimmed.length && trimmed[i] !== '"') i += trimmed[i] === "\\" ? 2 : 1;
    i++;
  }
  const open = trimmed.indexOf("<", i);
  if (open >= 0) {
    const close = trimmed.indexOf(">", open);
    if (close < 0) return { uri: trimmed.slice(open + 1), params: "" };
    return { uri: trimmed.slice(open + 1, close), params: trimmed.slice(close + 1) };
  }
  const rest = trimmed.slice(i).trim();
  const semi = rest.indexOf(";");
  return semi < 0
    ? { uri: rest, params: "" }
    : { uri: rest.slice(0, semi), params: rest.slice(semi) };
}

/** The first value of a header that may list several (`<sip:a@x>, <tel:+1>`). */
function firstValue(value: string): string {
  let quoted = false;
  let bracketed = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === "<") bracketed = true;
    else if (c === ">") bracketed = false;
    else if (c === "," && !bracketed) return value.slice(0, i);
  }
  return value;
}

function party(value: string | undefined): SipParty | null {
  if (value === undefined) return null;
  const { uri, params } = nameAddr(value);
  let tag: string | null = null;
  for (const param of params.split(";")) {
    const [name, v] = param.split("=");
    if (name?.trim().toLowerCase() === "tag" && v !== undefined) tag = v.trim();
  }
  return { user: uriUser(uri), tag };
}

/** The name of the first audio codec offered or accepted in an SDP body. */
export function firstAudioCodec(sdp: string): string | null {
  const lines = sdp.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const media = /^m=audio\s+(\d+)(?:\/\d+)?\s+\S+\s+(\S+)/.exec(lines[i]!.trim());
    if (!media || media[1] === "0") continue;
    const payload = media[2]!;
    for (let j = i + 1; j < lines.length && !lines[j]!.startsWith("m="); j++) {
      const map = /^a=rtpmap:(\d+)\s+([^/\s]+)/.exec(lines[j]!.trim());
      if (map && map[1] === payload) return map[2]!;
    }
    return staticPayloads[payload] ?? null;
  }
  return null;
}

/** The fields of one SIP message; null when its start line is not SIP. */
export function readSipSummary(text: string): SipSummary | null {
  const split = /\r?\n\r?\n/.exec(text);
  const head = split ? text.slice(0, split.index) : text;
  const body = split ? text.slice(split.index + split[0].length) : "";
  const lines = head.split(/\r?\n/);
  const start = lines[0]?.trim() ?? "";
  let method: string | null = null;
  let requestUri: string | null = null;
  let status: number | null = null;
  let reason: string | null = null;
  const response = /^SIP\/2\.0\s+(\d{3})(?:\s+(.*))?$/i.exec(start);
  if (response) {
    status = Number(response[1]);
    reason = response[2]?.trim() || null;
  } else {
    const request = /^([A-Za-z]+)\s+(\S+)\s+SIP\/2\.0$/i.exec(start);
    if (!request) return null;
    method = request[1]!.toUpperCase();
    requestUri = request[2]!;
  }

  const headers = new Map<string, string>();
  // every challenge, not only the first: a PBX may offer one per algorithm (RFC 8760)
  const challenges: string[] = [];
  let last: string | null = null;
  let lastChallenge = false;
  for (const line of lines.slice(1)) {
    if (/^[ \t]/.test(line)) {
      if (last) headers.set(last, `${headers.get(last)} ${line.trim()}`);
      if (lastChallenge) challenges.push(`${challenges.pop()} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const raw = line.slice(0, colon).trim().toLowerCase();
    const name = compactNames[raw] ?? raw;
    const value = line.slice(colon + 1).trim();
    lastChallenge = name === "www-authenticate" || name === "proxy-authenticate";
    if (lastChallenge) challenges.push(value);
    last = headers.has(name) ? null : name;
    if (last) headers.set(name, value);
  }

  const cseq = headers.get("cseq")?.split(/\s+/);
  const contentType = headers.get("content-type")?.toLowerCase() ?? "";
  const hasSdp = contentType.includes("application/sdp") || /^v=0/m.test(body);
  const asserted = headers.get("p-asserted-identity");
  const contact = headers.get("contact");
  return {
    method,
    requestUri,
    requestUser: requestUri ? uriUser(requestUri) : null,
    status,
    reason,
    callId: headers.get("call-id") || null,
    cseqNumber: cseq?.[0] && /^\d{1,10}$/.test(cseq[0]) ? Number(cseq[0]) : null,
    cseqMethod: cseq?.[1]?.toUpperCase() ?? null,
    from: party(headers.get("from")),
    to: party(headers.get("to")),
    assertedUser: asserted === undefined ? null : uriUser(nameAddr(firstValue(asserted)).uri),
    contactUser: contact === undefined ? null : uriUser(nameAddr(firstValue(contact)).uri),
    audioCodec: hasSdp ? firstAudioCodec(body) : null,
    digestAlgorithms: challenges.map(digestAlgorithm),
  };
}

/** A challenge's `algorithm` parameter, upper-cased; MD5 when it names none. */
export function digestAlgorithm(challenge: string): string {
  const match = /(?:^|[\s,])algorithm\s*=\s*"?([^",\s]+)/i.exec(challenge);
  return match ? match[1]!.toUpperCase() : "MD5";
}
