import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCsv } from "./csv.ts";

const fieldsOf = (text: string) => {
  const parsed = parseCsv(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.records.map((r) => r.fields);
};

describe("parseCsv (RFC 4180)", () => {
  it("reads LF and CRLF records, with or without a final line break", () => {
    expect(fieldsOf("number\n+1\n+2")).toEqual([["number"], ["+1"], ["+2"]]);
    expect(fieldsOf("number\r\n+1\r\n+2\r\n")).toEqual([["number"], ["+1"], ["+2"]]);
  });

  it("drops a leading BOM and keeps empty fields", () => {
    expect(fieldsOf("\uFEFFnumber,label\n+1,\n,x")).toEqual([
      ["number", "label"],
      ["+1", ""],
      ["", "x"],
    ]);
  });

  it("reads quoted fields with commas, doubled quotes and line breaks, and tells their line", () => {
    const parsed = parseCsv('number,note\r\n"+1","a, ""b""\r\nc"\r\n+2,d\r\n');
    expect(parsed).toEqual({
      ok: true,
      records: [
        { line: 1, fields: ["number", "note"] },
        { line: 2, fields: ["+1", 'a, "b"\r\nc'] },
        { line: 4, fields: ["+2", "d"] },
      ],
    });
  });

  it("refuses an unclosed quote and text after a closing quote, naming the line", () => {
    expect(parseCsv('number\n"+1\n')).toEqual({
      ok: false,
      line: 2,
      problem: "A quoted field is not closed",
    });
    expect(parseCsv('number\n"+1"x\n')).toMatchObject({ ok: false, line: 2 });
  });

  it("reads back what a writer quoting every field wrote", () => {
    const cell = fc.string({ maxLength: 8 });
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom("\n", "\r\n"),
        (rows, eol) => {
          const text = rows
            .map((r) => r.map((c) => `"${c.replaceAll('"', '""')}"`).join(","))
            .join(eol);
          expect(fieldsOf(text)).toEqual(rows);
        },
      ),
    );
  });
});
