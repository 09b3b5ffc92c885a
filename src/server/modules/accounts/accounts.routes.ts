import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import {
  type AnySessionView,
  ChangePasswordBody,
  LoginBody,
  PasswordResetCompleteBody,
  PasswordResetRequestBody,
} from "../../../shared/contracts/auth.ts";
import { abilitiesOf } from "../../../shared/permissions.ts";
import { type Actor, whoOf } from "../../authz/actor.ts";
import { sipDataAllows } from "../../authz/policy.ts";
import { inTransaction } from "../../context.ts";
import { requireActor, requireAnyActor, sessionCookie } from "../../http/context.ts";
import { setSessionCookie } from "../../http/session.ts";
import { hashToken } from "../../lib/secrets.ts";
import type { Services } from "../../services.ts";
import { findActorBySession } from "./accounts.queries.ts";
import { changePassword, checkPasswordChange } from "./commands/change-password.ts";
import {
  checkPasswordReset,
  completePasswordReset,
  requestPasswordReset,
} from "./commands/reset-password.ts";
import { signIn, signOut } from "./commands/sign-in.ts";

function presentSession(actor: Actor): AnySessionView {
  if (actor.kind === "enterprise_admin") {
    return {
      kind: "enterprise_admin",
      admin: { id: actor.enterpriseAdminId, name: actor.name, email: actor.email },
      enterprise: { id: actor.enterpriseId, name: actor.enterpriseName },
      csrfToken: actor.session.csrfToken,
      abilities: abilitiesOf(actor.role).filter((action) =>
        sipDataAllows(actor, { accessSipData: actor.accessSipData }, action),
      ),
    };
  }
  return {
    kind: "portal",
    account: {
      id: actor.accountId,
      name: actor.name,
      email: actor.email,
      username: actor.username,
      mustChangePassword: actor.mustChangePassword,
    },
    organization: {
      id: actor.organizationId,
      kind: actor.role,
      name: actor.organizationName,
      services: actor.organizationServices,
    },
    csrfToken: actor.session.csrfToken,
    abilities: actor.mustChangePassword ? [] : abilitiesOf(actor.role),
  };
}

/** Strict limits on the routes that take a secret, per client address. */
const credentialLimit = { rateLimit: { max: 20, timeWindow: "1 minute" } };

export function accountsRoutes(services: Services): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      "/auth/login",
      {
        schema: {
          body: LoginBody,
          tags: ["auth"],
          summary: "Sign in with e-mail or username and password",
        },
        config: { ...credentialLimit, public: true },
      },
      async (request, reply) => {
        const { token, expiresAt } = await signIn(services, {
          ...request.body,
          clientAddress: request.ip,
          userAgent: request.headers["user-agent"] ?? null,
          previousSessionToken: request.cookies[sessionCookie],
        });
        setSessionCookie(reply, services, { token, expiresAt });
        const actor = await findActorBySession(
          services.db,
          hashToken(token),
          services.now(),
          request.ip,
        );
        return presentSession(actor!);
      },
    );

    app.post(
      "/auth/logout",
      {
        schema: { tags: ["auth"], summary: "End the current session" },
        config: { allowPendingPasswordChange: true },
      },
      async (request, reply) => {
        const actor = requireAnyActor(request, { allowPendingPasswordChange: true });
        await inTransaction(services, whoOf(actor), (ctx) => signOut(ctx, actor.session.tokenHash));
        reply.clearCookie(sessionCookie, { path: "/" });
        return reply.code(204).send();
      },
    );

    app.get(
      "/auth/session",
      {
        schema: { tags: ["auth"], summary: "The signed-in account, its role and abilities" },
        config: { allowPendingPasswordChange: true },
      },
      async (request) => {
        return presentSession(requireAnyActor(request, { allowPendingPasswordChange: true }));
      },
    );

    app.put(
      "/auth/password",
      {
        schema: { body: ChangePasswordBody, tags: ["auth"], summary: "Change your own password" },
        config: { ...credentialLimit, allowPendingPasswordChange: true },
      },
      async (request, reply) => {
        const actor = requireActor(request, { allowPendingPasswordChange: true });
        const change = await checkPasswordChange(services.db, actor, request.body);
        await inTransaction(services, whoOf(actor), (ctx) => changePassword(ctx, actor, change));
        return reply.code(204).send();
      },
    );

    app.post(
      "/auth/password-reset",
      {
        schema: {
          body: PasswordResetRequestBody,
          tags: ["auth"],
          summary: "E-mail a password-reset link",
        },
        config: { ...credentialLimit, public: true },
      },
      async (request, reply) => {
        await requestPasswordReset(services, request.body.email, request.ip);
        return reply
          .code(202)
          .send({ message: "If an account uses this e-mail, a reset link is on its way." });
      },
    );

    app.post(
      "/auth/password-reset/complete",
      {
        schema: {
          body: PasswordResetCompleteBody,
          tags: ["auth"],
          summary: "Set a new password from a reset link",
        },
        config: { ...credentialLimit, public: true },
      },
      async (request, reply) => {
        const reset = await checkPasswordReset(services, request.body);
        const who = { actor: null, label: reset.account.email, clientAddress: request.ip };
        await inTransaction(services, who, (ctx) => completePasswordReset(ctx, reset));
        return reply.code(204).send();
      },
    );
  };
}
