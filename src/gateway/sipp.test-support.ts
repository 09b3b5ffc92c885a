/**
 * sipp as the peers of a gateway node in the real-Kamailio tests: Microsoft's SIP proxy on one
 * side, the PBX on the other. Scenarios are written here as XML text (sipp's own format); each
 * run keeps sipp's message log so a test can assert what a peer actually received.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** sipp (Debian's sip-tester) on PATH. */
export const sippPresent = !spawnSync("sipp", ["-v"]).error;

export interface SippRun {
  /** sipp's exit status: 0 when every call succeeded. */
  status: number | null;
  /** Every SIP message sipp sent and received (`-trace_msg`). */
  messages: string;
  /** The messages sipp received, each as its text. */
  received: string[];
  stderr: string;
}

export interface SippOptions {
  dir: string;
  name: string;
  scenario: string;
  localPort: number;
  /** The address sipp binds, for SIP and media (default 127.0.0.1). */
  localAddress?: string;
  transport: "udp" | "tcp";
  /** `address:port` to send to (a UAC); omitted for a UAS. */
  remote?: string;
  mediaPort?: number;
  /** Seconds before sipp gives up (default 20). */
  timeoutSeconds?: number;
  /** Calls to make or answer before exiting (default 1), and a caller's rate (calls/s). */
  calls?: number;
  rate?: number;
}

/** A running sipp; `done` resolves when it exits. */
export interface SippProcess {
  done: Promise<SippRun>;
  kill(): void;
}

/** Starts sipp for one call with the scenario; resolves its run when sipp exits. */
export function startSipp(o: SippOptions): SippProcess {
  const scenarioPath = join(o.dir, `${o.name}.xml`);
  const messageFile = join(o.dir, `${o.name}.messages.log`);
  writeFileSync(scenarioPath, o.scenario);
  writeFileSync(messageFile, "");
  const args = [
    ...["-sf", scenarioPath, "-i", o.localAddress ?? "127.0.0.1", "-p", String(o.localPort)],
    ...["-t", o.transport === "udp" ? "u1" : "t1", "-m", String(o.calls ?? 1), "-nostdin"],
    ...(o.rate ? ["-r", String(o.rate)] : []),
    ...["-timeout", `${o.timeoutSeconds ?? 20}s`, "-timeout_error"],
    ...["-trace_msg", "-message_file", messageFile],
    ...["-mi", o.localAddress ?? "127.0.0.1", "-mp", String(o.mediaPort ?? o.localPort + 1000)],
    ...(o.remote ? [o.remote] : []),
  ];
  const child = spawn("sipp", args, { cwd: o.dir, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<SippRun>((resolveRun) => {
    child.once("exit", (status) => {
      const messages = readFileSync(messageFile, "utf8");
      resolveRun({ status, messages, received: receivedMessages(messages), stderr });
    });
  });
  return { done, kill: () => child.kill("SIGKILL") };
}

/** One entry of a sipp message log: when (UTC ms, when stamped), what happened, the message. */
interface LogEntry {
  at: number | null;
  kind: "sent" | "received";
  message: string;
}

/**
 * The entries of a sipp message log, in order. Entries are separated by a line of dashes (with
 * the time, in UTC on these machines); each opens with what happened (`UDP message sent …`).
 */
function logEntries(log: string): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const chunk of log.replace(/\r\n/g, "\n").split(/^-{10,}/m)) {
    const [stamp = "", ...rest] = chunk.split("\n");
    const body = rest.join("\n").replace(/^\s+/, "");
    const kind = /^\w+ message (sent|received)/.exec(body)?.[1] as LogEntry["kind"] | undefined;
    if (!kind) continue;
    const when = stamp.trim();
    entries.push({
      at: when ? Date.parse(`${when.replace(" ", "T")}Z`) : null,
      kind,
      message: body.slice(body.indexOf("\n") + 1).trim(),
    });
  }
  return entries;
}

/** The messages of a sipp message log that sipp received, in order. */
export function receivedMessages(log: string): string[] {
  return logEntries(log)
    .filter((entry) => entry.kind === "received")
    .map((entry) => entry.message);
}

/** When sipp sent the first message matching `what` (its message log's time stamps). */
export function sentAt(log: string, what: RegExp): number {
  const entry = logEntries(log).find((e) => e.kind === "sent" && what.test(e.message));
  if (entry?.at == null) throw new Error(`sipp sent nothing like ${what}`);
  return entry.at;
}

/** The first received request of `method`, or response with `status`, as text. */
export function findMessage(messages: readonly string[], startLine: RegExp): string | undefined {
  return messages.find((m) => startLine.test(m.split("\n")[0] ?? ""));
}

/** A header's value in a message text (first occurrence, case-insensitive name). */
export function header(message: string, name: string): string | undefined {
  const line = message
    .split(/\r?\n/)
    .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

type Direction = "sendrecv" | "sendonly" | "recvonly" | "inactive";

const sdp = (
  profile: "RTP/AVP" | "RTP/SAVP",
  direction: Direction = "sendrecv",
  version = 1,
  mediaPort = "[media_port]",
) => `v=0
o=- 1 ${version} IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio ${mediaPort} ${profile} 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16${
  profile === "RTP/SAVP"
    ? "\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
    : ""
}
a=${direction}
`;

/** What the caller does once the call is up, before its BYE. */
export type CallerStep =
  /** A re-INVITE with this media direction (hold: sendonly; resume: sendrecv), then its ACK. */
  | { reinvite: Direction }
  /** A REFER (blind transfer) to this URI: 202, then the NOTIFY it answers. */
  | { refer: string };

/** What the callee expects of those steps: the re-INVITE it answers (or not), the REFER. */
export type CalleeStep = { reinvite: Direction } | { refer: true };

const answerDirection: Record<Direction, Direction> = {
  sendrecv: "sendrecv",
  sendonly: "recvonly",
  recvonly: "sendonly",
  inactive: "inactive",
};

/** A caller: INVITE with an SDP offer, then the final reply it expects (200: ACK, steps, BYE). */
export function callerScenario(o: {
  requestUri: string;
  from: string;
  to: string;
  profile: "RTP/AVP" | "RTP/SAVP";
  contact?: string;
  extraHeaders?: string[];
  expect: number;
  holdMs?: number;
  steps?: CallerStep[];
  /** Pause before each step (default 300 ms). */
  stepPauseMs?: number;
  /**
   * Times the post-dial delay as sipp's response time 1: from the INVITE sent to the first 180,
   * 183 or 200 received (`-trace_rtt` writes each call's).
   */
  timePostDial?: boolean;
}): string {
  const startRtd = o.timePostDial ? ' start_rtd="1"' : "";
  const rtd = o.timePostDial ? ' rtd="1"' : "";
  const invite = `INVITE ${o.requestUri} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <${o.from}>;tag=[pid]SIPpTag00[call_number]
To: <${o.to}>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <${o.contact ?? "sip:caller@[local_ip]:[local_port];transport=[transport]"}>
Max-Forwards: 70
${(o.extraHeaders ?? []).map((h) => `${h}\n`).join("")}Content-Type: application/sdp
Content-Length: [len]

${sdp(o.profile)}`;
  const inDialog = (
    method: string,
    cseq: number,
    extra = "",
    body = "",
  ) => `<send retrans="500"><![CDATA[
${method} [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[routes]
From: <${o.from}>;tag=[pid]SIPpTag00[call_number]
To: [$peer]
Call-ID: [call_id]
CSeq: ${cseq} ${method}
Contact: <${o.contact ?? "sip:caller@[local_ip]:[local_port];transport=[transport]"}>
Max-Forwards: 70
${extra}${body ? "Content-Type: application/sdp\n" : ""}Content-Length: [len]

${body}]]></send>`;
  const ack = (cseq: number) => `<send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[routes]
From: <${o.from}>;tag=[pid]SIPpTag00[call_number]
To: [$peer]
Call-ID: [call_id]
CSeq: ${cseq} ACK
Max-Forwards: 70
Content-Length: 0

]]></send>`;
  let cseq = 1;
  const steps = (o.steps ?? []).map((step) => {
    cseq += 1;
    const pause = `<pause milliseconds="${o.stepPauseMs ?? 300}"/>`;
    if ("reinvite" in step)
      return `${pause}
${inDialog("INVITE", cseq, "", sdp(o.profile, step.reinvite, cseq))}
<recv response="100" optional="true"/>
<recv response="200"/>
${ack(cseq)}`;
    return `${pause}
${inDialog("REFER", cseq, `Refer-To: <${step.refer}>\nReferred-By: <${o.from}>\n`)}
<recv response="202"/>
<recv request="NOTIFY"/>
<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>`;
  });
  const answered =
    o.expect === 200
      ? `<recv response="200" rrs="true"${rtd}>
  <action><ereg regexp=".*" search_in="hdr" header="To:" assign_to="peer"/></action>
</recv>
${ack(1)}
${steps.join("\n")}
<pause milliseconds="${o.holdMs ?? 500}"/>
${inDialog("BYE", cseq + 1)}
<recv response="200"/>`
      : `<recv response="${o.expect}"/>
<send><![CDATA[
ACK ${o.requestUri} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <${o.from}>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="caller">
<send retrans="500"${startRtd}><![CDATA[
${invite}]]></send>
<recv response="100" optional="true"/>
<recv response="180" optional="true"${rtd}/>
<recv response="183" optional="true"${rtd}/>
${answered}
</scenario>
`;
}

/**
 * A callee: answers an INVITE (after a digest challenge when `challenge` is set, checking the
 * credentials: a wrong answer gets 403), then the ACK, the caller's steps and its BYE.
 */
export function calleeScenario(o: {
  profile: "RTP/AVP" | "RTP/SAVP";
  /** A digest challenge, one header per algorithm in order (default MD5 only). */
  challenge?: { realm: string; username: string; password: string; algorithms?: string[] };
  steps?: CalleeStep[];
  /** The port its SDP names for media (default: sipp's own media port). */
  mediaPort?: number;
}): string {
  const contact = "Contact: <sip:callee@[local_ip]:[local_port];transport=[transport]>\n";
  const reply = (status: string, extra = "", body = "", toTag = true) => `<send><![CDATA[
SIP/2.0 ${status}
[last_Via:]
[last_From:]
[last_To:]${toTag ? ";tag=[pid]SIPpTag01[call_number]" : ""}
[last_Call-ID:]
[last_CSeq:]
[last_Record-Route:]
${extra}${body ? "Content-Type: application/sdp\n" : ""}Content-Length: [len]

${body}]]></send>`;
  // sipp refuses a variable assigned and never used: the peer's From only when a NOTIFY needs it
  const needsPeer = (o.steps ?? []).some((step) => "refer" in step);
  const peerAction = needsPeer
    ? '<ereg regexp=".*" search_in="hdr" header="From:" assign_to="peer"/>'
    : "";
  const challenge = o.challenge
    ? `<recv request="INVITE"/>
${reply(
  "401 Unauthorized",
  (o.challenge.algorithms ?? ["MD5"])
    .map(
      (algorithm) =>
        `WWW-Authenticate: Digest realm="${o.challenge?.realm}", nonce="[pid]${algorithm}[call_number]", algorithm=${algorithm}\n`,
    )
    .join(""),
)}
<recv request="ACK"/>
<recv request="INVITE" rrs="true">
  <action>
    <verifyauth assign_to="authvalid" username="${o.challenge.username}" password="${o.challenge.password}"/>
    ${peerAction}
  </action>
</recv>
<nop hide="true" test="authvalid" next="authok"/>
${reply("403 Forbidden", contact)}
<recv request="ACK" next="end"/>
<label id="authok"/>`
    : `<recv request="INVITE" rrs="true">
  ${peerAction ? `<action>${peerAction}</action>` : ""}
</recv>`;
  let version = 1;
  const steps = (o.steps ?? []).map((step) => {
    version += 1;
    if ("reinvite" in step)
      return `<recv request="INVITE"/>
${reply("200 OK", contact, sdp(o.profile, answerDirection[step.reinvite], version), false)}
<recv request="ACK"/>`;
    return `<recv request="REFER"/>
${reply("202 Accepted", contact, "", false)}
<send retrans="500"><![CDATA[
NOTIFY [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[routes]
From: <sip:callee@[local_ip]>;tag=[pid]SIPpTag01[call_number]
To: [$peer]
Call-ID: [call_id]
CSeq: ${version} NOTIFY
${contact}Event: refer
Subscription-State: terminated;reason=noresource
Content-Type: message/sipfrag;version=2.0
Content-Length: [len]

SIP/2.0 200 OK
]]></send>
<recv response="200"/>`;
  });
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="callee">
${challenge}
${reply("180 Ringing", contact)}
${reply("200 OK", contact, sdp(o.profile, "sendrecv", 1, o.mediaPort ? String(o.mediaPort) : undefined))}
<recv request="ACK"/>
${steps.join("\n")}
<recv request="BYE"/>
${reply("200 OK", contact, "", false)}
<label id="end"/>
</scenario>
`;
}
