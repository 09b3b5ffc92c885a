export {
  checkInvitationCode,
  consumeInvitation,
  getLiveInvitation,
  maxCodeAttempts,
} from "./commands/check-invitation.ts";
export { type InvitationKind, issueInvitation } from "./commands/issue-invitation.ts";
export {
  currentInvitationOf,
  findInvitationSummaries,
  type InvitationJson,
  invitationSummaryOf,
} from "./invitations.queries.ts";
export { sendInvitationEmailJob } from "./jobs/send-invitation-email.job.ts";
