export { createPbx } from "./commands/create-pbx.ts";
export { pbxInUse } from "./pbx.queries.ts";
export { pbxRoutes } from "./pbx.routes.ts";
