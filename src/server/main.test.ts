import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { logRedactions } from "./main.ts";

describe("logs", () => {
  it("never print credentials, cookies or invitation secrets", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = pino({ redact: { paths: logRedactions, censor: "[redacted]" } }, sink);
    log.info({
      req: {
        headers: { cookie: "tg_session=abc", "x-csrf-token": "csrf-1", authorization: "Bearer t" },
      },
      body: {
        password: "hunter2",
        passwordConfirm: "hunter2",
        newPassword: "n3w",
        code: "ABCD-EFGH",
        token: "tok",
      },
      job: { sealedToken: "v1.x.y.z" },
    });
    const text = lines.join("");
    for (const secret of [
      "tg_session=abc",
      "csrf-1",
      "Bearer t",
      "hunter2",
      "n3w",
      "ABCD-EFGH",
      '"tok"',
      "v1.x.y.z",
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain("[redacted]");
  });
});
