import { useMutation, useQueryClient } from "@tanstack/react-query";
import type {
  ChangePasswordBody,
  LoginBody,
  PasswordResetCompleteBody,
  PasswordResetRequestBody,
  SessionView,
} from "../../../shared/contracts/auth.ts";
import { api, setCsrfToken } from "../../api/client.ts";
import { sessionKey } from "./session.ts";

/** Signs in; the session becomes the cached one and nothing from a previous user survives. */
export function useSignIn() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: LoginBody) => api.post<SessionView>("/auth/login", body),
    onSuccess: (session) => {
      setCsrfToken(session.csrfToken);
      queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== sessionKey[0] });
      queryClient.setQueryData(sessionKey, session);
    },
  });
}

/** Ends the session on the server, then forgets everything cached in the browser. */
export function useSignOut() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<void>("/auth/logout"),
    onSettled: () => {
      setCsrfToken(null);
      queryClient.setQueryData(sessionKey, null);
      queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== sessionKey[0] });
    },
  });
}

export function useChangePassword() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: ChangePasswordBody) => api.put<void>("/auth/password", body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: sessionKey }),
  });
}

export function useRequestPasswordReset() {
  return useMutation({
    mutationFn: (body: PasswordResetRequestBody) =>
      api.post<{ message: string }>("/auth/password-reset", body),
  });
}

export function useCompletePasswordReset() {
  return useMutation({
    mutationFn: (body: PasswordResetCompleteBody) =>
      api.post<void>("/auth/password-reset/complete", body),
  });
}
