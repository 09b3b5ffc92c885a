/**
 * The smallest correct RFC 4180 reader: comma-separated fields, `"`-quoted fields that may hold
 * commas, doubled quotes and line breaks, records ended by CRLF or LF, a leading UTF-8 BOM
 * ignored, a final line break optional. Returns the records, each with the line it starts on.
 */
export function parseCsv(
  input: string,
):
  | { ok: true; records: { line: number; fields: string[] }[] }
  | { ok: false; line: number; problem: string } {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let i = 0;
  let atFieldStart = true;
  const endRecord = () => {
    fields.push(field);
    records.push({ line: recordLine, fields });
    fields = [];
    field = "";
    atFieldStart = true;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (atFieldStart && c === '"') {
      const openedOn = line;
      i++;
      for (;;) {
        if (i >= text.length)
          return { ok: false, line: openedOn, problem: "A quoted field is not closed" };
        const q = text[i]!;
        if (q === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (q === "\n") line++;
        field += q;
        i++;
      }
      const next = text[i];
      if (next !== undefined && next !== "," && next !== "\n" && next !== "\r")
        return { ok: false, line, problem: "Text follows a closing quote" };
      atFieldStart = false;
      continue;
    }
    atFieldStart = false;
    if (c === ",") {
      fields.push(field);
      field = "";
      atFieldStart = true;
      i++;
    } else if (c === "\r" && text[i + 1] === "\n") {
      endRecord();
      i += 2;
      recordLine = ++line;
    } else if (c === "\n") {
      endRecord();
      i++;
      recordLine = ++line;
    } else {
      field += c;
      i++;
    }
  }
  if (fields.length > 0 || field !== "" || !atFieldStart) endRecord();
  return { ok: true, records };
}
