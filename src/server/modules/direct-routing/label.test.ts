import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { directRoutingLabel, dnsWords, maxFqdnLength } from "./label.ts";

const dnsLabel = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

describe("directRoutingLabel", () => {
  it("reads as the enterprise's name and ends with a hash of its id", () => {
    const label = directRoutingLabel({ id: "ent_1", name: "Café Müller & Söhne" }, [
      "use1.sbc.example.net",
    ]);
    expect(label).toMatch(/^cafe-muller-sohne-[0-9a-z]{6}$/);
    expect(dnsWords("  --Ärzte ohne Grenzen--  ")).toBe("arzte-ohne-grenzen");
  });

  it("is the same for the same enterprise, different for another with the same name", () => {
    const carriers = ["use1.sbc.example.net"];
    const a = directRoutingLabel({ id: "ent_a", name: "Acme" }, carriers);
    expect(directRoutingLabel({ id: "ent_a", name: "Acme" }, carriers)).toBe(a);
    expect(directRoutingLabel({ id: "ent_b", name: "Acme" }, carriers)).not.toBe(a);
    expect(directRoutingLabel({ id: "ent_a", name: "Acme" }, carriers, 2)).toHaveLength(
      a.length + 2,
    );
  });

  it("keeps every derived FQDN a valid DNS name of at most 48 characters", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 120 }),
        fc.string({ minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: 4, max: 38 }), { minLength: 1, maxLength: 3 }),
        (name, id, lengths) => {
          const carriers = lengths.map((n) => `${"c".repeat(n - 4)}.net`);
          const label = directRoutingLabel({ id, name }, carriers);
          expect(label).toMatch(dnsLabel);
          for (const carrier of carriers)
            expect(`${label}.${carrier}`.length).toBeLessThanOrEqual(maxFqdnLength);
        },
      ),
    );
  });

  it("refuses a carrier trunk FQDN that leaves no room for a label (409)", () => {
    const carrier = `${"x".repeat(38)}.example`;
    expect(() => directRoutingLabel({ id: "ent_1", name: "Acme" }, [carrier])).toThrow(
      expect.objectContaining({ code: "invalid_state" }),
    );
  });
});
