import autocannon from "autocannon";
import type { LoadOptions } from "./lib.ts";

/** Runs one autocannon load described by BENCH_LOAD and prints its summary as JSON. */
const spec = JSON.parse(process.env.BENCH_LOAD ?? "{}") as LoadOptions & { url: string };
const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.seconds,
  headers: spec.headers ?? {},
  ...(spec.requests ? { requests: spec.requests } : {}),
});
process.stdout.write(
  JSON.stringify({
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    requests: result.requests.total,
  }),
);
