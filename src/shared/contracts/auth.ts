import { z } from "zod";
import type { Action, PortalRole } from "../permissions.ts";
import { Email, LinkToken, NewPassword, text } from "./common.ts";

export const LoginBody = z.strictObject({
  login: text().trim().min(1, "Required").max(254, "Must be at most 254 characters"),
  password: text().min(1, "Required").max(200, "Must be at most 200 characters"),
});
export type LoginBody = z.infer<typeof LoginBody>;

export const ChangePasswordBody = z
  .strictObject({
    currentPassword: text().min(1, "Required").max(200, "Must be at most 200 characters"),
    newPassword: NewPassword,
    newPasswordConfirm: text(),
  })
  .refine((v) => v.newPassword === v.newPasswordConfirm, {
    path: ["newPasswordConfirm"],
    message: "Passwords do not match",
  })
  .refine((v) => v.newPassword !== v.currentPassword, {
    path: ["newPassword"],
    message: "Must differ from the current password",
  });
export type ChangePasswordBody = z.infer<typeof ChangePasswordBody>;

export const PasswordResetRequestBody = z.strictObject({ email: Email });
export type PasswordResetRequestBody = z.infer<typeof PasswordResetRequestBody>;

export const PasswordResetCompleteBody = z
  .strictObject({
    token: LinkToken,
    password: NewPassword,
    passwordConfirm: text(),
  })
  .refine((v) => v.password === v.passwordConfirm, {
    path: ["passwordConfirm"],
    message: "Passwords do not match",
  });
export type PasswordResetCompleteBody = z.infer<typeof PasswordResetCompleteBody>;

export type { PortalRole };

/** What the portal knows about the signed-in account; `csrfToken` goes back in `x-csrf-token`. */
export interface SessionView {
  kind: "portal";
  account: {
    id: string;
    name: string;
    email: string;
    username: string;
    mustChangePassword: boolean;
  };
  organization: { id: string; kind: PortalRole; name: string; services: ("PBX" | "TRUNK")[] };
  csrfToken: string;
  abilities: Action[];
}

/** An enterprise admin signed in with Microsoft (SPEC §3.3). */
export interface EnterpriseAdminSessionView {
  kind: "enterprise_admin";
  admin: { id: string; name: string; email: string };
  enterprise: { id: string; name: string };
  csrfToken: string;
  abilities: Action[];
}

/** `GET /auth/session`: whoever is signed in. */
export type AnySessionView = SessionView | EnterpriseAdminSessionView;
