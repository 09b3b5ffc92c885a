export { numberArray } from "./numbers.queries.ts";
export { numbersRoutes } from "./numbers.routes.ts";
