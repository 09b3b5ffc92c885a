import { AppError } from "../../lib/errors.ts";
import { createHttpTransport, describeNetworkError } from "../microsoft/http.ts";
import type { Dns } from "./port.ts";
import { checkRecordName, checkTxtValue } from "./records.ts";

/** Where the Microsoft emulator's control API is and how to reach it. */
export interface EmulatorDnsConfig {
  /** The emulator's login origin (its control API is under `/_control`), without a trailing slash. */
  controlUrl: string;
  /** Bearer token of the control API; none for an emulator on loopback. */
  controlToken?: string | null | undefined;
  /** The emulator's CA (PEM), trusted for this connection pool only. */
  caPem?: string | undefined;
  /** How long one call may take before it is `dns_unavailable` (default 10 s). */
  timeoutMs?: number;
}

/**
 * The DNS port on the Microsoft emulator's TXT records, the ones its Graph domain verification
 * reads, through the control API over HTTPS. An unreachable emulator or a 5xx/429 answer is
 * `dns_unavailable`; any other refusal (a bad token, a bad request) is `dns_rejected`.
 */
export function createEmulatorDns(config: EmulatorDnsConfig): Dns {
  const transport = createHttpTransport({ caPem: config.caPem });
  const endpoint = `${config.controlUrl.replace(/\/+$/, "")}/_control/dns/txt`;
  const timeoutMs = config.timeoutMs ?? 10_000;

  async function call(
    method: "GET" | "POST" | "DELETE",
    what: string,
    params: Record<string, string>,
  ): Promise<unknown> {
    const url = method === "POST" ? endpoint : `${endpoint}?${new URLSearchParams(params)}`;
    let response: Awaited<ReturnType<typeof transport.fetch>>;
    try {
      response = await transport.fetch(url, {
        method,
        headers: {
          ...(config.controlToken ? { authorization: `Bearer ${config.controlToken}` } : {}),
          ...(method === "POST" ? { "content-type": "application/json" } : {}),
        },
        ...(method === "POST" ? { body: JSON.stringify(params) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new AppError("dns_unavailable", `The emulator's DNS did not answer (${what})`, {
        cause: describeNetworkError(error),
      });
    }
    const text = await response.text();
    const body = parseJson(text);
    if (response.ok) return body;
    const answer = (body ?? {}) as { error?: unknown; message?: unknown };
    const transient = response.status >= 500 || response.status === 429;
    throw new AppError(
      transient ? "dns_unavailable" : "dns_rejected",
      `The emulator's DNS refused to ${what} (HTTP ${response.status})`,
      {
        cause: {
          status: response.status,
          code: typeof answer.error === "string" ? answer.error : undefined,
          message: typeof answer.message === "string" ? answer.message : text.slice(0, 200),
        },
      },
    );
  }

  return {
    kind: "emulator",
    async publishTxt(name, value) {
      const params = { name: checkRecordName(name), value: checkTxtValue(value) };
      await call("POST", `publish a TXT record at ${name}`, params);
    },
    async removeTxt(name, value) {
      const params = { name: checkRecordName(name), value: checkTxtValue(value) };
      await call("DELETE", `remove a TXT record at ${name}`, params);
    },
    async lookupTxt(name) {
      const body = await call("GET", `read the TXT records at ${name}`, {
        name: checkRecordName(name),
      });
      const values = (body as { values?: unknown } | null)?.values;
      if (!Array.isArray(values) || !values.every((v) => typeof v === "string"))
        throw new AppError("dns_unavailable", `The emulator's DNS answered without values`, {
          cause: { message: JSON.stringify(body)?.slice(0, 200) },
        });
      return values;
    },
    close: () => transport.close(),
  };
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}
