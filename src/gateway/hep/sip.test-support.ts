/** SIP message texts for tests, shaped like the ones Kamailio mirrors. */

export interface DialogParties {
  callId: string;
  /** URI of From, e.g. `sip:101@pbx.example`. */
  from: string;
  fromTag: string;
  /** URI of To. */
  to: string;
  /** Set once the callee answered. */
  toTag?: string;
  pai?: string;
}

export const sdp = (codecs: Array<[number, string]>, port = 40000) =>
  [
    "v=0",
    "o=- 1 1 IN IP4 192.0.2.1",
    "s=-",
    "c=IN IP4 192.0.2.1",
    "t=0 0",
    `m=audio ${port} RTP/AVP ${codecs.map(([pt]) => pt).join(" ")}`,
    ...codecs.map(([pt, name]) => `a=rtpmap:${pt} ${name}/8000`),
    "",
  ].join("\r\n");

function message(start: string, d: DialogParties, cseq: string, body = ""): string {
  return [
    start,
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1",
    "Max-Forwards: 70",
    `From: <${d.from}>;tag=${d.fromTag}`,
    `To: <${d.to}>${d.toTag ? `;tag=${d.toTag}` : ""}`,
    `Call-ID: ${d.callId}`,
    `CSeq: ${cseq}`,
    ...(d.pai ? [`P-Asserted-Identity: <${d.pai}>`] : []),
    ...(body ? ["Content-Type: application/sdp"] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    "",
    body,
  ].join("\r\n");
}

/** A request of the dialog (`CSeq: <n> <method>`). */
export const sipRequest = (
  method: string,
  requestUri: string,
  d: DialogParties,
  cseq = 1,
  body = "",
) => message(`${method} ${requestUri} SIP/2.0`, d, `${cseq} ${method}`, body);

/** A response to the dialog's request `method`. */
export const sipResponse = (
  status: number,
  reason: string,
  method: string,
  d: DialogParties,
  cseq = 1,
  body = "",
) => message(`SIP/2.0 ${status} ${reason}`, d, `${cseq} ${method}`, body);
