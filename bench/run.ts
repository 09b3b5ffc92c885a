import { benchEnterpriseList } from "./enterprise-list.bench.ts";
import { benchUserSync } from "./user-sync.bench.ts";

/** `npm run bench`: every benchmark, each printing ratios against a baseline measured in the same run. */
const only = process.env.BENCH_ONLY;
if (!only || only === "enterprise-list") await benchEnterpriseList();
if (!only || only === "user-sync") await benchUserSync();
process.exit(0);
