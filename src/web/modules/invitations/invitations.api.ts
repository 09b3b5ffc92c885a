import { queryOptions, useMutation } from "@tanstack/react-query";
import type {
  EnterpriseInvitationCheck,
  EnterpriseInvitationInfo,
  VerifyEnterpriseInvitationBody,
} from "../../../shared/contracts/enterprises.ts";
import type { ActivateBody, ActivationInfo } from "../../../shared/contracts/organizations.ts";
import type { RegistrationSignInStart } from "../../../shared/contracts/registration.ts";
import { api } from "../../api/client.ts";

/** What an activation link is for (public; 410 `invitation_invalid` when used, expired or replaced). */
export function activationQuery(token: string) {
  return queryOptions({
    queryKey: ["activation", token],
    queryFn: ({ signal }) => api.get<ActivationInfo>("/activation", { token }, signal),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useActivate() {
  return useMutation({ mutationFn: (body: ActivateBody) => api.post<void>("/activation", body) });
}

/** What an enterprise invitation link is for (public). */
export function enterpriseInvitationQuery(token: string) {
  return queryOptions({
    queryKey: ["enterprise-invitation", token],
    queryFn: ({ signal }) =>
      api.get<EnterpriseInvitationInfo>("/enterprise-invitations", { token }, signal),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useVerifyEnterpriseInvitation() {
  return useMutation({
    mutationFn: (body: VerifyEnterpriseInvitationBody) =>
      api.post<EnterpriseInvitationCheck>("/enterprise-invitations/verify", body),
  });
}

/** "Sign in with Microsoft": checks the code again and returns the Microsoft URL to open. */
export function useStartRegistrationSignIn() {
  return useMutation({
    mutationFn: (body: VerifyEnterpriseInvitationBody) =>
      api.post<RegistrationSignInStart>("/enterprise-invitations/sign-in", body),
  });
}
