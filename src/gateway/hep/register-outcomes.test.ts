import { describe, expect, it } from "vitest";
import { RegisterOutcomes } from "./register-outcomes.ts";
import { readSipSummary } from "./sip-summary.ts";

const register = (callId: string, device: string, cseq = 2) =>
  readSipSummary(
    `REGISTER sip:pbx.example SIP/2.0\r\nCall-ID: ${callId}\r\nCSeq: ${cseq} REGISTER\r\nFrom: <sip:1001@pbx.example>;tag=a\r\nTo: <sip:1001@pbx.example>\r\nContact: <sip:${device}@10.0.0.5:5060>;expires=300\r\nContent-Length: 0\r\n\r\n`,
  )!;
const answer = (callId: string, status: string, method = "REGISTER", cseq = 2) =>
  readSipSummary(
    `SIP/2.0 ${status}\r\nCall-ID: ${callId}\r\nCSeq: ${cseq} ${method}\r\nFrom: <sip:1001@pbx.example>;tag=a\r\nTo: <sip:1001@pbx.example>;tag=b\r\nContent-Length: 0\r\n\r\n`,
  )!;

describe("the PBX's answers to REGISTER", () => {
  it("keeps the last final answer per device, matched by Call-ID", () => {
    const outcomes = new RegisterOutcomes();
    outcomes.observe(register("c1", "dev_1"), 1);
    expect(outcomes.lastFor("dev_2")).toBeUndefined();
    // sent and not answered yet: if the registration fails now, it timed out
    outcomes.observe(answer("c1", "100 Trying"), 2);
    expect(outcomes.lastFor("dev_1")).toEqual({
      code: 408,
      reason: "Request Timeout: no answer from the PBX",
      at: 1,
    });
    outcomes.observe(answer("c1", "403 Forbidden"), 3);
    expect(outcomes.lastFor("dev_1")).toEqual({ code: 403, reason: "Forbidden", at: 3 });
    outcomes.observe(answer("c1", "200 OK"), 4);
    expect(outcomes.lastFor("dev_1")).toEqual({ code: 200, reason: "OK", at: 4 });
    // the next REGISTER (a refresh: same Call-ID, CSeq raised) is not answered by the earlier 200
    outcomes.observe(register("c1", "dev_1", 3), 5);
    expect(outcomes.lastFor("dev_1")?.code).toBe(408);
  });

  it("keeps an answer whose copy came before its REGISTER's, and a later REGISTER is pending", () => {
    const outcomes = new RegisterOutcomes();
    outcomes.observe(register("c1", "dev_1", 1), 1);
    outcomes.observe(answer("c1", "401 Unauthorized", "REGISTER", 1), 2);
    // the authenticated REGISTER's answer is read before the REGISTER itself
    outcomes.observe(answer("c1", "403 Forbidden", "REGISTER", 2), 3);
    outcomes.observe(register("c1", "dev_1", 2), 4);
    expect(outcomes.lastFor("dev_1")).toEqual({ code: 403, reason: "Forbidden", at: 3 });
    // the next REGISTER of the dialog is not answered yet
    outcomes.observe(register("c1", "dev_1", 3), 5);
    expect(outcomes.lastFor("dev_1")?.code).toBe(408);
  });

  it("ignores answers to other methods and Call-IDs it never saw a REGISTER for", () => {
    const outcomes = new RegisterOutcomes();
    outcomes.observe(register("c1", "dev_1"), 1);
    outcomes.observe(answer("c1", "486 Busy Here", "INVITE"), 2);
    outcomes.observe(answer("other", "403 Forbidden"), 3);
    expect(outcomes.lastFor("dev_1")?.code).toBe(408);
  });

  it("says so when the PBX's challenge offers no MD5 digest, which the node cannot answer", () => {
    const challenge = (callId: string, ...algorithms: string[]) =>
      readSipSummary(
        [
          "SIP/2.0 401 Unauthorized",
          `Call-ID: ${callId}`,
          "CSeq: 1 REGISTER",
          ...algorithms.map(
            (a) => `WWW-Authenticate: Digest realm="pbx", nonce="n", algorithm=${a}`,
          ),
          "",
          "",
        ].join("\r\n"),
      )!;
    const outcomes = new RegisterOutcomes();
    outcomes.observe(register("c1", "dev_1"), 1);
    outcomes.observe(challenge("c1", "SHA-256", "SHA-512-256", "SHA-256"), 2);
    expect(outcomes.lastFor("dev_1")).toEqual({
      code: 401,
      reason:
        "Unauthorized: the PBX offers only SHA-256, SHA-512-256 digest; this gateway answers MD5",
      at: 2,
    });
    // offered beside MD5, the challenge is answered: the reason stays the PBX's own
    outcomes.observe(register("c2", "dev_2"), 3);
    outcomes.observe(challenge("c2", "SHA-256", "MD5"), 4);
    expect(outcomes.lastFor("dev_2")?.reason).toBe("Unauthorized");
  });

  it("forgets the oldest devices beyond its bound", () => {
    const outcomes = new RegisterOutcomes(2);
    for (const n of [1, 2, 3]) {
      outcomes.observe(register(`c${n}`, `dev_${n}`), n);
      outcomes.observe(answer(`c${n}`, "401 Unauthorized"), n);
    }
    expect(outcomes.lastFor("dev_1")).toBeUndefined();
    expect(outcomes.lastFor("dev_3")?.code).toBe(401);
  });
});
