import { z } from "zod";
import { defineJob } from "../../../jobs/define-job.ts";
import { applyUsersImport } from "../import/run-users-import.ts";

/** Applies a validated bulk upload of users, chunk after chunk; resumes where it stopped. */
export const usersImportJob = defineJob({
  name: "calling.users-import",
  schema: z.object({ importId: z.string() }),
  options: { retryLimit: 5, retryDelaySeconds: 5, retryBackoff: true, expireInSeconds: 900 },
  async handle(services, data) {
    await applyUsersImport(services, data.importId);
  },
});
