export { presentPbxType, presentRegion } from "./catalog.presenter.ts";
export {
  findPbxTypesByIds,
  findRegionsByIds,
  listPbxTypes,
  listPbxTypesVisibleTo,
  listRegions,
  listRegionsVisibleTo,
} from "./catalog.queries.ts";
export { catalogRoutes } from "./catalog.routes.ts";
export { createPbxType, updatePbxType } from "./commands/save-pbx-type.ts";
export { createRegion, updateRegion } from "./commands/save-region.ts";
