import type { ReactNode } from "react";
import type { z } from "zod";
import { isApiError } from "./client.ts";

type Issue = { path: readonly PropertyKey[]; message: string };

/** One message per field (the first), keyed by the top-level contract key a form control edits. */
export function fieldsOfIssues(issues: readonly Issue[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of issues) {
    const key = issue.path.length > 0 ? String(issue.path[0]) : "_";
    fields[key] ??= issue.message;
  }
  return fields;
}

export type Parsed<T> = { ok: true; data: T } | { ok: false; fields: Record<string, string> };

/** Validates a request body with its shared contract before it is sent. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown): Parsed<z.output<S>> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, data: result.data };
  return { ok: false, fields: fieldsOfIssues(result.error.issues) };
}

/** The part of a Mantine form these helpers need. */
export interface ErrorTarget {
  setErrors(errors: Record<string, ReactNode>): void;
  getValues(): object;
}

/**
 * Validates a form's values with their shared contract before they are sent. When they are not
 * valid it marks each field, moves focus to the first one and returns null.
 */
export function validateForm<S extends z.ZodType>(
  form: ErrorTarget,
  schema: S,
  value: unknown,
): z.output<S> | null {
  const parsed = parseWith(schema, value);
  if (parsed.ok) return parsed.data;
  form.setErrors(parsed.fields);
  focusFirstError();
  return null;
}

/** What could not be placed next to a control: shown in the form's Alert. */
export interface FormFailure {
  message: string;
  details: string[];
}

/**
 * Puts a failed request's field errors next to the matching controls, moves focus to the first,
 * and returns what belongs in the form's general Alert (the message, plus any field the form has
 * no control for).
 */
export function placeErrors(
  form: ErrorTarget,
  error: unknown,
  labels: Record<string, string> = {},
): FormFailure {
  if (!isApiError(error)) {
    return { message: "Something unexpected happened. Try again.", details: [] };
  }
  const known = new Set(Object.keys(form.getValues()));
  const placed: Record<string, string> = {};
  const details: string[] = [];
  for (const [path, message] of Object.entries(error.fields)) {
    const key = path.split(".")[0] ?? path;
    if (known.has(key)) placed[key] ??= message;
    else details.push(`${labels[key] ?? key}: ${message}`);
  }
  form.setErrors(placed);
  // As for the form's own checks: the person lands on what to fix, even below the fold.
  if (Object.keys(placed).length > 0) focusFirstError();
  return { message: error.message, details };
}

/**
 * Moves focus to the first control marked invalid, once the errors have rendered. React may
 * commit the errors of a failed request after the next frame, so it looks for a few frames.
 */
export function focusFirstError(): void {
  let frames = 0;
  const attempt = () => {
    const invalid = document.querySelector<HTMLElement>("[aria-invalid='true']");
    if (invalid) invalid.focus();
    else if (++frames < 10) requestAnimationFrame(attempt);
  };
  requestAnimationFrame(attempt);
}
