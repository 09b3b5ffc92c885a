export { addNumbers } from "./commands/add-numbers.ts";
export { numberArray } from "./numbers.queries.ts";
export { numbersRoutes } from "./numbers.routes.ts";
