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
  transport: "udp" | "tcp";
  /** `address:port` to send to (a UAC); omitted for a UAS. */
  remote?: string;
  mediaPort?: number;
  /** Seconds before sipp gives up (default 20). */
  timeoutSeconds?: number;
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
    ...["-sf", scenarioPath, "-i", "127.0.0.1", "-p", String(o.localPort)],
    ...["-t", o.transport === "udp" ? "u1" : "t1", "-m", "1", "-nostdin"],
    ...["-timeout", `${o.timeoutSeconds ?? 20}s`, "-timeout_error"],
    ...["-trace_msg", "-message_file", messageFile],
    ...["-mi", "127.0.0.1", "-mp", String(o.mediaPort ?? o.localPort + 1000)],
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

/** The messages of a sipp message log that sipp received, in order. */
export function receivedMessages(log: string): string[] {
  // entries are separated by a line of dashes (and a time); each opens with what happened
  return log
    .replace(/\r\n/g, "\n")
    .split(/^-{10,}.*$/m)
    .map((entry) => entry.replace(/^\s+/, ""))
    .filter((entry) => /^\w+ message received/.test(entry))
    .map((entry) => entry.slice(entry.indexOf("\n") + 1).trim());
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

const sdp = (profile: "RTP/AVP" | "RTP/SAVP") => `v=0
o=- 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] ${profile} 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16${
  profile === "RTP/SAVP"
    ? "\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
    : ""
}
a=sendrecv
`;

/** A caller: INVITE with an SDP offer, then the final reply it expects (200: ACK, BYE). */
export function callerScenario(o: {
  requestUri: string;
  from: string;
  to: string;
  profile: "RTP/AVP" | "RTP/SAVP";
  contact?: string;
  extraHeaders?: string[];
  expect: number;
  holdMs?: number;
}): string {
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
  const answered =
    o.expect === 200
      ? `<recv response="200" rrs="true"/>
<send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[routes]
From: <${o.from}>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
<pause milliseconds="${o.holdMs ?? 500}"/>
<send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[routes]
From: <${o.from}>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
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
<send retrans="500"><![CDATA[
${invite}]]></send>
<recv response="100" optional="true"/>
<recv response="180" optional="true"/>
<recv response="183" optional="true"/>
${answered}
</scenario>
`;
}

/**
 * A callee: answers an INVITE (after a digest challenge when `challenge` is set, checking the
 * credentials: a wrong answer gets 403), then the ACK and the caller's BYE.
 */
export function calleeScenario(o: {
  profile: "RTP/AVP" | "RTP/SAVP";
  challenge?: { realm: string; username: string; password: string };
}): string {
  const reply = (status: string, extra = "", body = "") => `<send><![CDATA[
SIP/2.0 ${status}
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Record-Route:]
Contact: <sip:callee@[local_ip]:[local_port];transport=[transport]>
${extra}${body ? "Content-Type: application/sdp\n" : ""}Content-Length: [len]

${body}]]></send>`;
  const challenge = o.challenge
    ? `<recv request="INVITE"/>
${reply("401 Unauthorized", `WWW-Authenticate: Digest realm="${o.challenge.realm}", nonce="[pid]n[call_number]", algorithm=MD5\n`)}
<recv request="ACK"/>
<recv request="INVITE">
  <action>
    <verifyauth assign_to="authvalid" username="${o.challenge.username}" password="${o.challenge.password}"/>
  </action>
</recv>
<nop hide="true" test="authvalid" next="authok"/>
${reply("403 Forbidden")}
<recv request="ACK" next="end"/>
<label id="authok"/>`
    : `<recv request="INVITE"/>`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="callee">
${challenge}
${reply("180 Ringing")}
${reply("200 OK", "", sdp(o.profile))}
<recv request="ACK"/>
<recv request="BYE"/>
${reply("200 OK")}
<label id="end"/>
</scenario>
`;
}
