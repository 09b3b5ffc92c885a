export { actorOf, findActorBySession } from "./accounts.queries.ts";
export { accountsRoutes } from "./accounts.routes.ts";
export { createAccount } from "./commands/create-account.ts";
export {
  createOperatorAdmin,
  operatorSetup,
  seedOperatorOnFirstStart,
} from "./commands/create-operator.ts";
export { revokePasswordResets } from "./commands/reset-password.ts";
export { pathOf } from "./commands/sign-in.ts";
export { changeEmail, claimEmail, releaseEmail, transferEmail } from "./email-claims.ts";
export { sendPasswordResetJob } from "./jobs/send-password-reset.job.ts";
