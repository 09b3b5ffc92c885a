import { AppError } from "../../lib/errors.ts";

const label = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i;

/**
 * Whether `value` is a DNS name of one or more labels (letters, digits, `-`, `_`; at most 63
 * characters each, 253 in all), with or without a trailing dot: a server, zone or key name.
 */
export function isDnsName(value: string): boolean {
  const name = value.replace(/\.$/, "");
  return name.length <= 253 && name.split(".").every((part) => label.test(part));
}

/**
 * Returns `name` when it is a fully qualified DNS name Teamgate may publish at (at least two
 * labels of letters, digits, `-` and `_`, each at most 63 characters, at most 253 in all, no
 * trailing dot); otherwise throws `dns_rejected` saying what is wrong.
 */
export function checkRecordName(name: string): string {
  const problem = nameProblem(name);
  if (problem) throw new AppError("dns_rejected", `The DNS name ${shown(name)} ${problem}.`);
  return name;
}

function nameProblem(name: string): string | null {
  if (name.length === 0) return "is empty";
  if (name.length > 253) return "is longer than 253 characters";
  if (name.endsWith(".")) return "ends with a dot (give it without one)";
  const labels = name.split(".");
  if (labels.length < 2) return "is not fully qualified";
  if (labels.some((part) => part.length > 63)) return "has a label longer than 63 characters";
  if (!labels.every((part) => label.test(part)))
    return "has an empty label or a character other than letters, digits, '-' and '_'";
  return null;
}

/**
 * Returns `value` when it can be published as one TXT character-string: 1 to 255 printable ASCII
 * characters (space to `~`); otherwise throws `dns_rejected` saying what is wrong.
 */
export function checkTxtValue(value: string): string {
  const problem = valueProblem(value);
  if (problem)
    throw new AppError(
      "dns_rejected",
      `The TXT value ${shown(value)} ${problem}; it cannot be published.`,
    );
  return value;
}

function valueProblem(value: string): string | null {
  if (value.length === 0) return "is empty";
  if (value.length > 255) return "is longer than 255 characters";
  if (!/^[\x20-\x7e]+$/.test(value))
    return "contains a character other than printable ASCII (a control character or non-ASCII)";
  return null;
}

/** `value` in double quotes with `"` and `\` escaped, as zone files and nsupdate read it. */
export function quoteTxt(value: string): string {
  return `"${checkTxtValue(value).replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Input quoted for a message, control characters escaped, cut at 80 characters. */
function shown(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
