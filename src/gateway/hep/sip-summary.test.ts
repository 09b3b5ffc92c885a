import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sdp, sipRequest, sipResponse } from "./sip.test-support.ts";
import { firstAudioCodec, readSipSummary, uriUser } from "./sip-summary.ts";

const dialog = {
  callId: "a84b4c76e66710@pbx.example",
  from: "sip:101@pbx.example",
  fromTag: "1928301774",
  to: "sip:+3211000001@sbc.example",
};

describe("readSipSummary", () => {
  it("reads a request: method, R-URI user, Call-ID, CSeq, parties, PAI and SDP codec", () => {
    const text = sipRequest(
      "INVITE",
      "sip:dev_1@10.0.0.5:5060;transport=udp",
      { ...dialog, pai: "sip:+3221234567@pbx.example;user=phone" },
      1,
      sdp([
        [8, "PCMA"],
        [0, "PCMU"],
      ]),
    );
    expect(readSipSummary(text)).toEqual({
      method: "INVITE",
      requestUri: "sip:dev_1@10.0.0.5:5060;transport=udp",
      requestUser: "dev_1",
      status: null,
      reason: null,
      callId: "a84b4c76e66710@pbx.example",
      cseqNumber: 1,
      cseqMethod: "INVITE",
      from: { user: "101", tag: "1928301774" },
      to: { user: "+3211000001", tag: null },
      assertedUser: "+3221234567",
      contactUser: null,
      audioCodec: "PCMA",
      digestAlgorithms: [],
    });
  });

  it("reads a response: status, reason, the To tag", () => {
    const text = sipResponse(486, "Busy Here", "INVITE", { ...dialog, toTag: "314159" }, 1);
    expect(readSipSummary(text)).toMatchObject({
      method: null,
      status: 486,
      reason: "Busy Here",
      cseqMethod: "INVITE",
      to: { user: "+3211000001", tag: "314159" },
      audioCodec: null,
    });
  });

  it("lists every digest challenge's algorithm, MD5 when it names none", () => {
    const text = [
      "SIP/2.0 401 Unauthorized",
      "Call-ID: c1",
      "CSeq: 1 REGISTER",
      'WWW-Authenticate: Digest realm="pbx", nonce="n1", algorithm=SHA-256, qop="auth"',
      'WWW-Authenticate: Digest realm="pbx",',
      '  nonce="n2", algorithm="sha-512-256"',
      'www-authenticate: Digest realm="pbx", nonce="n3"',
      'Proxy-Authenticate: Digest realm="pbx", nonce="n4", opaque="algorithm=x", algorithm=MD5',
      "",
      "",
    ].join("\r\n");
    expect(readSipSummary(text)?.digestAlgorithms).toEqual([
      "SHA-256",
      "SHA-512-256",
      "MD5",
      "MD5",
    ]);
  });

  it("reads compact header names, addr-specs without brackets, display names and folding", () => {
    const text = [
      "BYE sip:alice@192.0.2.4 SIP/2.0",
      'f: "Bob <boss>; the one" <sips:bob@biloxi.example.com>;tag=a73kszlfl',
      "t: sip:alice@atlanta.example.com;tag=1928",
      "i: xyz",
      "P-Asserted-Identity: tel:+15551234;phone-context=x,",
      "  <sip:other@example.com>",
      "CSeq: 2",
      " BYE",
      "",
      "",
    ].join("\r\n");
    expect(readSipSummary(text)).toMatchObject({
      method: "BYE",
      requestUser: "alice",
      callId: "xyz",
      cseqNumber: 2,
      cseqMethod: "BYE",
      from: { user: "bob", tag: "a73kszlfl" },
      to: { user: "alice", tag: "1928" },
      assertedUser: "+15551234",
    });
  });

  it("gives null for a text that is not SIP, and never throws on any text", () => {
    expect(readSipSummary("GET / HTTP/1.1\r\n\r\n")).toBeNull();
    expect(readSipSummary("")).toBeNull();
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), (text) => {
        readSipSummary(text);
        readSipSummary(`INVITE sip:x@y SIP/2.0\r\n${text}`);
        readSipSummary(
          `SIP/2.0 200 OK\r\nFrom: ${text}\r\nContent-Type: application/sdp\r\n\r\n${text}`,
        );
      }),
    );
  });
});

describe("uriUser", () => {
  it("takes the user part without its parameters", () => {
    expect(uriUser("sip:+3211000001;npdi@host")).toBe("+3211000001");
    expect(uriUser("sip:alice:secret@host")).toBe("alice");
    expect(uriUser("tel:+3211000001;phone-context=x")).toBe("+3211000001");
    expect(uriUser("sip:%2B32@host")).toBe("+32");
    expect(uriUser("sip:host.example")).toBeNull();
    expect(uriUser("mailto:a@b")).toBeNull();
  });
});

describe("firstAudioCodec", () => {
  it("takes the first payload of the first audio stream that is not rejected", () => {
    const body = [
      "v=0",
      "m=video 0 RTP/AVP 96",
      "a=rtpmap:96 H264/90000",
      "m=audio 0 RTP/AVP 0",
      "m=audio 4000 RTP/SAVP 111 8",
      "a=rtpmap:8 PCMA/8000",
      "a=rtpmap:111 opus/48000/2",
      "m=video 5000 RTP/AVP 96",
    ].join("\r\n");
    expect(firstAudioCodec(body)).toBe("opus");
  });

  it("names static payload types without an rtpmap line", () => {
    expect(firstAudioCodec("v=0\nm=audio 4000 RTP/AVP 18 101\n")).toBe("G729");
    expect(firstAudioCodec("v=0\nm=audio 4000 RTP/AVP 97\n")).toBeNull();
  });
});
