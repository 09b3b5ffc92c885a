import { z } from "zod";
import { text } from "./common.ts";

/** Why a user sync ran: after registration, on demand, by the scheduler, or the sync groups changed. */
export const UserSyncTrigger = z.enum(["registration", "manual", "scheduled", "scope_changed"]);
export type UserSyncTrigger = z.infer<typeof UserSyncTrigger>;

export const UserSyncStatusValue = z.enum(["idle", "queued", "running", "failed"]);
export type UserSyncStatusValue = z.infer<typeof UserSyncStatusValue>;

/** Licence filter of the Users list: a Teams licence, a Teams Phone licence, or neither. */
export const UserLicenceFilter = z.enum(["teams", "teams_phone", "none"]);
export type UserLicenceFilter = z.infer<typeof UserLicenceFilter>;

/**
 * Calling filter of the Users list: configured for calling (active or not), not configured,
 * disabled users, deleted ones (softly, or on their way out of Teams).
 */
export const UserCallingFilter = z.enum(["configured", "not_configured", "disabled", "deleted"], {
  error: "Must be configured, not_configured, disabled or deleted",
});
export type UserCallingFilter = z.infer<typeof UserCallingFilter>;

/** Query of the Users list: paging, search (name, sign-in name, e-mail, SIP user, number), licence, calling, removed users. */
export const UserListQuery = z.strictObject({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(25),
  q: text().trim().max(100, "Must be at most 100 characters").optional(),
  licence: UserLicenceFilter.optional(),
  calling: UserCallingFilter.optional(),
  includeRemoved: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => v === "true"),
});
export type UserListQuery = z.infer<typeof UserListQuery>;

/** One synced Microsoft 365 user (SPEC §2.6). */
export const UserSummary = z.object({
  id: z.string(),
  msObjectId: z.string(),
  displayName: z.string(),
  userPrincipalName: z.string(),
  mail: z.string().nullable(),
  accountEnabled: z.boolean(),
  teamsLicensed: z.boolean(),
  teamsPhoneLicensed: z.boolean(),
  /** When the user left the tenant or the sync scope; null while present. */
  removedAt: z.string().nullable(),
  /** The user's calling configuration in brief; null when not configured. */
  calling: z
    .object({
      service: z.enum(["pbx", "trunk"]),
      phoneNumber: z.string(),
      sipUser: z.string().nullable(),
      status: z.enum(["active", "calling_disabled", "disabled", "deleted"]),
      teamsState: z.enum(["pending", "waiting", "done", "failed"]),
      registrationState: z.enum(["unknown", "registered", "failed", "unregistered"]).nullable(),
    })
    .nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type UserSummary = z.infer<typeof UserSummary>;

export const UserListResponse = z.object({
  items: z.array(UserSummary),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
});
export type UserListResponse = z.infer<typeof UserListResponse>;

export const UserSyncCounters = z.object({
  seen: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  removed: z.number().int(),
});
export type UserSyncCounters = z.infer<typeof UserSyncCounters>;

export const UserSyncRunSummary = z.object({
  id: z.string(),
  trigger: UserSyncTrigger,
  mode: z.enum(["full", "delta"]),
  status: z.enum(["running", "succeeded", "failed"]),
  counters: UserSyncCounters,
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  error: z.string().nullable(),
});
export type UserSyncRunSummary = z.infer<typeof UserSyncRunSummary>;

/** Where an enterprise's user sync stands; `currentRun` is the progress of a running sync. */
export const UserSyncStatus = z.object({
  status: UserSyncStatusValue,
  lastSyncAt: z.string().nullable(),
  lastFullSyncAt: z.string().nullable(),
  lastError: z.string().nullable(),
  nextDueAt: z.string().nullable(),
  currentRun: UserSyncRunSummary.nullable(),
  lastRun: UserSyncRunSummary.nullable(),
  userCounts: z.object({
    total: z.number().int(),
    teams: z.number().int(),
    teamsPhone: z.number().int(),
    removed: z.number().int(),
  }),
});
export type UserSyncStatus = z.infer<typeof UserSyncStatus>;
