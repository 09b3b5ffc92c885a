import { benchEnterpriseList } from "./enterprise-list.bench.ts";

/** `npm run bench`: every benchmark, each printing ratios against a baseline measured in the same run. */
await benchEnterpriseList();
process.exit(0);
