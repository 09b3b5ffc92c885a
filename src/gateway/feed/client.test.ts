import { describe, expect, it } from "vitest";
import { buildSnapshot } from "../gateway.test-support.ts";
import {
  backoffDelay,
  createGatewayClient,
  GatewayApiError,
  GatewayContractError,
  parseRetryAfter,
} from "./client.ts";

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch answering from a list of responses (or errors to throw), recording each call. */
function fakeFetch(answers: Array<Response | Error | (() => Response)>) {
  const calls: Call[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({
      url: String(input),
      method: init?.method ?? "GET",
      headers: init?.headers as Record<string, string>,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    });
    const answer = answers.shift();
    if (!answer) throw new Error("no more answers");
    if (answer instanceof Error) throw answer;
    return typeof answer === "function" ? answer() : answer;
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });

function client(answers: Parameters<typeof fakeFetch>[0]) {
  const fake = fakeFetch(answers);
  const sleeps: number[] = [];
  const api = createGatewayClient({
    baseUrl: "https://api.example/api/v1/",
    token: "gw.1.secret",
    fetch: fake.fetch,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
  });
  return { api, calls: fake.calls, sleeps };
}

describe("gateway client", () => {
  it("sends the bearer token and checks the snapshot against the contract", async () => {
    const { api, calls } = client([json(200, buildSnapshot())]);
    expect((await api.snapshot()).users).toHaveLength(2);
    expect(calls[0]!.url).toBe("https://api.example/api/v1/gateway/snapshot");
    expect(calls[0]!.headers.authorization).toBe("Bearer gw.1.secret");
  });

  it("asks for changes after a cursor with a capped wait", async () => {
    const { api, calls } = client([json(200, { cursor: "5.1", changes: [], more: false })]);
    expect(await api.changes("5.0", 99)).toEqual({ cursor: "5.1", changes: [], more: false });
    expect(calls[0]!.url).toBe("https://api.example/api/v1/gateway/changes?after=5.0&wait=30");
  });

  it("retries network errors and 5xx with growing jittered delays", async () => {
    const { api, calls, sleeps } = client([
      new TypeError("fetch failed"),
      json(503, { code: "unavailable", message: "down" }),
      json(502, "bad gateway"),
      json(200, { cursor: "5.1", changes: [], more: false }),
    ]);
    await api.changes("5.0", 0);
    expect(calls).toHaveLength(4);
    expect(sleeps).toEqual([125, 250, 500]);
  });

  it("honours Retry-After on 429", async () => {
    const { api, sleeps } = client([
      json(429, { code: "rate_limited", message: "slow down" }, { "retry-after": "7" }),
      json(200, { items: [] }),
    ]);
    await api.reportRegistrations([
      { deviceId: "dev_1", state: "registered", code: 200, at: "2026-01-01T00:00:00Z" },
    ]);
    expect(sleeps).toEqual([7000]);
  });

  it("never retries a 4xx, and says its code", async () => {
    const { api, calls } = client([json(400, { code: "invalid_request", message: "bad cursor" })]);
    const error = await api.changes("5.0", 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayApiError);
    expect([(error as GatewayApiError).status, (error as GatewayApiError).code]).toEqual([
      400,
      "invalid_request",
    ]);
    expect(calls).toHaveLength(1);
  });

  it("gives up after the attempts and throws the last failure", async () => {
    const { api, calls } = client(Array.from({ length: 5 }, () => json(500, {})));
    await expect(api.snapshot()).rejects.toMatchObject({ status: 500 });
    expect(calls).toHaveLength(5);
  });

  it("refuses an answer that does not match the contract, without retrying", async () => {
    const { api, calls } = client([json(200, { cursor: 1 })]);
    await expect(api.changes("5.0", 0)).rejects.toBeInstanceOf(GatewayContractError);
    expect(calls).toHaveLength(1);
  });

  it("sends lease and CDR lists in batches of 1,000 and merges the answers", async () => {
    const ids = Array.from({ length: 1500 }, (_, i) => `dev_${i}`);
    const { api, calls } = client([
      json(200, {
        leases: [{ deviceId: "dev_0", expiresAt: "x" }],
        lost: [],
        leasePeriodSeconds: 30,
      }),
      json(200, { leases: [], lost: ["dev_1499"], leasePeriodSeconds: 30 }),
    ]);
    const renewed = await api.renewLeases(ids);
    expect(calls.map((c) => (c.body as { deviceIds: string[] }).deviceIds.length)).toEqual([
      1000, 500,
    ]);
    expect(renewed).toEqual({
      leases: [{ deviceId: "dev_0", expiresAt: "x" }],
      lost: ["dev_1499"],
      leasePeriodSeconds: 30,
    });
    expect(await api.releaseLeases([])).toEqual({ leases: [], lost: [], leasePeriodSeconds: 0 });
    expect(calls).toHaveLength(2);
  });

  it("fills in the acquire defaults the contract declares", async () => {
    const { api, calls } = client([json(200, { leases: [], lost: [], leasePeriodSeconds: 30 })]);
    await api.acquireLeases({});
    expect(calls[0]!.body).toEqual({ max: 100 });
  });

  it("stops at once when aborted, without retrying", async () => {
    const controller = new AbortController();
    const { api, calls } = client([
      () => {
        controller.abort();
        throw new DOMException("aborted", "AbortError");
      },
    ]);
    await expect(api.changes("5.0", 25, controller.signal)).rejects.toThrow();
    expect(calls).toHaveLength(1);
  });
});

describe("back-off and Retry-After", () => {
  it("caps the delay", () => {
    expect(backoffDelay(20, { baseMs: 100, maxMs: 1000 }, () => 1)).toBe(1000);
    expect(backoffDelay(0, { baseMs: 100, maxMs: 1000 }, () => 0)).toBe(0);
  });
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:10 GMT", Date.UTC(2026, 0, 1))).toBe(10_000);
    expect(parseRetryAfter("soon")).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });
});
