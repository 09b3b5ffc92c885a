import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AddNumbersBody,
  expandRange,
  isE164,
  normalizePhoneNumber,
  rangeProblem,
} from "./numbers.ts";

describe("phone number contract", () => {
  it("normalizes separators and refuses what is not E.164", () => {
    expect(normalizePhoneNumber(" +1 (415) 555-0100 ")).toBe("+14155550100");
    for (const bad of ["14155550100", "+0123456789", "+1234567", "+1234567890123456", "+1 415 abc"])
      expect(normalizePhoneNumber(bad)).toBeNull();
  });

  it("a valid range expands to exactly its size, in order, every number E.164 and in bounds", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\+[1-9]\d{4,10}$/),
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 1200 }),
        (prefix, start, span) => {
          const from = prefix + String(start).padStart(4, "0");
          const to = prefix + String(Math.min(start + span, 9999)).padStart(4, "0");
          const range = rangeProblem(from, to);
          if ("problem" in range) {
            expect(Number(to.slice(-4)) - start + 1).toBeGreaterThan(1000);
            expect(AddNumbersBody.safeParse({ from, to }).success).toBe(false);
            return;
          }
          const numbers = expandRange(from, to);
          expect(numbers).toHaveLength(range.size);
          expect(numbers[0]).toBe(from);
          expect(numbers.at(-1)).toBe(to);
          expect(numbers.every(isE164)).toBe(true);
          expect([...numbers].sort()).toEqual(numbers);
          expect(AddNumbersBody.safeParse({ from, to }).success).toBe(true);
        },
      ),
    );
  });
});
