import type { FastifyError, FastifyInstance } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { ZodError } from "zod";
import type { ApiErrorBody } from "../../shared/errors.ts";
import { AppError } from "../lib/errors.ts";

type Issue = { path?: PropertyKey[]; message: string; code?: string; keys?: string[] };

/** Turns zod issues into `{ field: message }`, one message per field (the first). */
export function fieldsOf(issues: Issue[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys" && issue.keys) {
      for (const key of issue.keys)
        fields[[...(issue.path ?? []), key].join(".")] = "Unknown field";
      continue;
    }
    const key = (issue.path ?? []).map(String).join(".") || "_";
    fields[key] ??= issue.message;
  }
  return fields;
}

/** One handler for every error: known codes keep their message; anything else is a bare 500. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    let status: number;
    let body: ApiErrorBody;
    if (error instanceof AppError) {
      status = error.status;
      body = {
        code: error.code,
        message: error.message,
        ...(error.fields ? { fields: error.fields } : {}),
        ...(error.rows ? { rows: error.rows } : {}),
      };
      if (error.headers) reply.headers(error.headers);
    } else if (hasZodFastifySchemaValidationErrors(error)) {
      status = 400;
      body = {
        code: "validation_failed",
        message: "Some fields are not valid",
        fields: fieldsOf(
          error.validation.map((v) => ({
            code: v.keyword,
            message: v.message ?? "Not valid",
            path: v.instancePath.split("/").filter(Boolean),
            keys: (v.params as { keys?: string[] }).keys,
          })),
        ),
      };
    } else if (error instanceof ZodError) {
      status = 400;
      body = {
        code: "validation_failed",
        message: "Some fields are not valid",
        fields: fieldsOf(error.issues as Issue[]),
      };
    } else if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      status = 413;
      body = { code: "payload_too_large", message: "The request body is too large" };
    } else if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      status = 415;
      body = { code: "unsupported_media_type", message: "Send the body as application/json" };
    } else if (
      error.code === "FST_ERR_CTP_INVALID_JSON_BODY" ||
      error instanceof SyntaxError ||
      error.code === "FST_ERR_CTP_EMPTY_JSON_BODY"
    ) {
      status = 400;
      body = { code: "invalid_json", message: "The request body is not valid JSON" };
    } else if (error.statusCode === 429) {
      status = 429;
      body = { code: "rate_limited", message: "Too many requests; try again shortly" };
    } else {
      status = 500;
      body = { code: "internal", message: "Something went wrong on our side; it has been logged" };
      request.log.error({ err: error }, "unhandled error");
    }
    if (status < 500) request.log.info({ code: body.code, status }, "request refused");
    reply.code(status).send(body);
  });
}
