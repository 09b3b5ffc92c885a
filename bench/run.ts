import { benchEnterpriseList } from "./enterprise-list.bench.ts";
import { benchGatewayCalls } from "./gateway-calls.bench.ts";
import { benchGatewayRegistrations } from "./gateway-registrations.bench.ts";
import { benchTeamsPush } from "./teams-push.bench.ts";
import { benchUserSync } from "./user-sync.bench.ts";
import { benchUsersCsv } from "./users-csv.bench.ts";

/** `npm run bench`: every benchmark, each printing ratios against a baseline measured in the same run. */
const only = process.env.BENCH_ONLY;
if (!only || only === "enterprise-list") await benchEnterpriseList();
if (!only || only === "user-sync") await benchUserSync();
if (!only || only === "users-csv") await benchUsersCsv();
if (!only || only === "teams-push") await benchTeamsPush();
if (!only || only === "gateway-registrations") await benchGatewayRegistrations();
if (!only || only === "gateway-calls") await benchGatewayCalls();
process.exit(0);
