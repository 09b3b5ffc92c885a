import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import {
  AddNumbersBody,
  maxImportBytes,
  NumberIdParam,
  NumberListQuery,
  type NumberListResponse,
  type NumbersAdded,
} from "../../../shared/contracts/numbers.ts";
import { acceptCsvBodies, CsvBody } from "../../http/csv-body.ts";
import { enterpriseRoute } from "../../http/enterprise-route.ts";
import type { Services } from "../../services.ts";
import { addNumbers } from "./commands/add-numbers.ts";
import { importNumbers } from "./commands/import-numbers.ts";
import { removeNumber } from "./commands/remove-number.ts";
import { mayManageNumbers, numberAbilities } from "./numbers.policy.ts";
import { presentNumber } from "./numbers.presenter.ts";
import { listNumbers } from "./numbers.queries.ts";

/** An enterprise's phone number inventory (SPEC §2.7): list, add, import, remove. */
export function numbersRoutes(services: Services): FastifyPluginAsyncZod {
  const { db } = services;
  const tags = ["phone numbers"];
  return async (app) => {
    acceptCsvBodies(app, maxImportBytes);

    enterpriseRoute(app, services, "GET", "/enterprises/:enterpriseId/numbers", {
      summary: "The enterprise's phone numbers in number order, by state and digits",
      tags,
      may: "numbers.read",
      querystring: NumberListQuery,
      handler: async ({ actor, enterprise, query }): Promise<NumberListResponse> => {
        const { rows, total } = await listNumbers(db, enterprise, query);
        return {
          items: rows.map((r) => presentNumber(r, numberAbilities(actor, enterprise, r))),
          total,
          page: query.page,
          pageSize: query.pageSize,
          canManage: mayManageNumbers(actor, enterprise),
        };
      },
    });

    enterpriseRoute(app, services, "POST", "/enterprises/:enterpriseId/numbers", {
      summary: "Add one number, or a range from–to of at most 1,000 (all or nothing)",
      tags,
      may: "numbers.manage",
      body: AddNumbersBody,
      status: 201,
      handler: ({ enterprise, body, transact }): Promise<NumbersAdded> =>
        transact((ctx) => addNumbers(ctx, enterprise, body)),
    });

    enterpriseRoute(app, services, "POST", "/enterprises/:enterpriseId/numbers/import", {
      summary: "Import a text/csv file with the header number (all or nothing, per-row report)",
      tags,
      may: "numbers.manage",
      body: CsvBody,
      status: 201,
      handler: ({ enterprise, body, transact }): Promise<NumbersAdded> =>
        transact((ctx) => importNumbers(ctx, enterprise, body)),
    });

    enterpriseRoute(app, services, "DELETE", "/enterprises/:enterpriseId/numbers/:numberId", {
      summary: "Remove a number (refused while it is assigned)",
      tags,
      may: "numbers.manage",
      params: NumberIdParam,
      handler: async ({ enterprise, params, transact }) => {
        await transact((ctx) => removeNumber(ctx, enterprise, params.numberId));
        return { id: params.numberId, deleted: true };
      },
    });
  };
}
