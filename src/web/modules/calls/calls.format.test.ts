import { describe, expect, it } from "vitest";
import { formatClock, formatDuration, sipOutcomeOf } from "./calls.format.ts";

describe("call formatting", () => {
  it("shows durations as minutes:seconds, with hours past an hour", () => {
    expect([0, 5, 65, 600, 3599, 3600, 3725].map(formatDuration)).toEqual([
      "0:00",
      "0:05",
      "1:05",
      "10:00",
      "59:59",
      "1:00:00",
      "1:02:05",
    ]);
  });

  it("shows the SIP outcome as code and reason, the code alone, or a dash", () => {
    expect(sipOutcomeOf({ sipCode: 486, sipReason: "Busy Here" })).toBe("486 Busy Here");
    expect(sipOutcomeOf({ sipCode: 200, sipReason: null })).toBe("200");
    expect(sipOutcomeOf({ sipCode: null, sipReason: null })).toBe("—");
  });

  it("shows a trace message's time to the millisecond in UTC", () => {
    expect(formatClock("2026-11-05T10:04:05.123Z")).toBe("10:04:05.123");
    expect(formatClock("2026-11-05T11:04:05.1+01:00")).toBe("10:04:05.100");
  });
});
