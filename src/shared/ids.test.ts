import { describe, expect, it } from "vitest";
import { isIdOf, newIds } from "./ids.ts";

describe("newIds", () => {
  it("draws more ids than one getRandomValues call can fill, all distinct and well formed", () => {
    const ids = newIds("phoneNumber", 10_000);
    expect(ids).toHaveLength(10_000);
    expect(new Set(ids).size).toBe(10_000);
    expect(ids.every((id) => isIdOf("phoneNumber", id))).toBe(true);
  });
});
