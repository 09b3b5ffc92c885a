import { describe, expect, it } from "vitest";
import {
  CreateEnterpriseBody,
  UpdateEnterpriseBody,
  userLimitMessage,
  userLimitOfText,
} from "./enterprises.ts";

const valid = {
  name: "Contoso Ltd",
  adminEmail: "ga@contoso.example.com",
  regionIds: ["reg_1"],
  services: ["TRUNK"],
};

/** The user limit's field error of a create body whose user limit was typed as `text`, if any. */
function userLimitErrorOf(text: string): string | undefined {
  const result = CreateEnterpriseBody.safeParse({ ...valid, userLimit: userLimitOfText(text) });
  return result.success
    ? undefined
    : result.error.issues.find((i) => i.path[0] === "userLimit")?.message;
}

describe("the user limit as typed", () => {
  it.each(["-1", "1.5", "abc", "0", "1e3", "+5", "12abc", "1 000"])(
    'refuses "%s" with a field error, never a corrected number',
    (text) => {
      expect(userLimitErrorOf(text)).toBe(userLimitMessage);
    },
  );

  it("takes a blank as unlimited and digits as that number", () => {
    expect(userLimitOfText("")).toBeNull();
    expect(userLimitOfText("   ")).toBeNull();
    expect(userLimitOfText(" 25 ")).toBe(25);
    expect(userLimitErrorOf("25")).toBeUndefined();
    expect(CreateEnterpriseBody.parse({ ...valid, userLimit: userLimitOfText("") }).userLimit).toBe(
      null,
    );
  });

  it("refuses more than a million, and the same on edit", () => {
    expect(userLimitErrorOf("1000001")).toMatch(/at most 1000000/);
    const edit = UpdateEnterpriseBody.safeParse({ userLimit: userLimitOfText("-1") });
    expect(edit.success).toBe(false);
    expect(edit.error?.issues[0]?.message).toBe(userLimitMessage);
  });
});
