import { sendPasswordResetJob } from "../modules/accounts/index.ts";
import { teamsPushJob, usersImportJob } from "../modules/calling/index.ts";
import { sendInvitationEmailJob } from "../modules/invitations/index.ts";
import { syncDueUsersJob, syncUsersJob } from "../modules/users/index.ts";
import { advanceWorkflowJob } from "../workflows/advance.job.ts";
import { checkDueWorkflowsJob, checkWorkflowJob } from "../workflows/check.job.ts";
import type { JobDefinition } from "./define-job.ts";
import { purgeExpiredJob } from "./purge-expired.job.ts";

/** Every durable job, listed explicitly so a worker knows exactly what it serves. */
export const jobs: JobDefinition[] = [
  sendPasswordResetJob,
  sendInvitationEmailJob,
  syncUsersJob,
  syncDueUsersJob,
  purgeExpiredJob,
  advanceWorkflowJob,
  checkWorkflowJob,
  checkDueWorkflowsJob,
  teamsPushJob,
  usersImportJob,
];
