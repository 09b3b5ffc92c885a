import { describe, expect, it } from "vitest";
import { hashCode, humanCode, normalizeCode, seal, unseal } from "./secrets.ts";

describe("invitation codes", () => {
  it("are short, unambiguous and typable", () => {
    for (let i = 0; i < 200; i++)
      expect(humanCode()).toMatch(/^[A-HJ-NP-TV-Z2-9]{4}-[A-HJ-NP-TV-Z2-9]{4}$/);
  });

  it("compare regardless of case, spaces and dashes, under a keyed hash", () => {
    expect(hashCode("k", "ab cd-efgh")).toBe(hashCode("k", "ABCDEFGH"));
    expect(normalizeCode(" ab-cd ")).toBe("ABCD");
    expect(hashCode("k1", "ABCDEFGH")).not.toBe(hashCode("k2", "ABCDEFGH"));
  });
});

describe("seal", () => {
  it("round-trips and refuses another key or a tampered value", () => {
    const sealed = seal("secret-a", { token: "t", code: "c" });
    expect(sealed).not.toContain("token");
    expect(unseal("secret-a", sealed)).toEqual({ token: "t", code: "c" });
    expect(() => unseal("secret-b", sealed)).toThrow();
    const parts = sealed.split(".");
    // Change the first character (to one it is not: a no-op "tamper" would prove nothing).
    parts[3] = `${parts[3]!.startsWith("A") ? "B" : "A"}${parts[3]!.slice(1)}`;
    expect(() => unseal("secret-a", parts.join("."))).toThrow();
  });
});
