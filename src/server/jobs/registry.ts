import { sendPasswordResetJob } from "../modules/accounts/jobs/send-password-reset.job.ts";
import { sendInvitationEmailJob } from "../modules/invitations/jobs/send-invitation-email.job.ts";
import { syncDueUsersJob } from "../modules/users/jobs/sync-due-users.job.ts";
import { syncUsersJob } from "../modules/users/jobs/sync-users.job.ts";
import { advanceWorkflowJob } from "../workflows/advance.job.ts";
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
];
