import type { FastifyReply, FastifyRequest } from "fastify";
import { hashToken, randomToken } from "../lib/secrets.ts";
import type { Services } from "../services.ts";
import { sessionCookie } from "./context.ts";

/**
 * Our cookies: HttpOnly, SameSite=Lax (sent on top-level GET navigations, such as Microsoft's
 * redirects back, not on cross-site POSTs), Secure behind https.
 */
function cookieOptions(services: Services) {
  return {
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    secure: services.publicUrl.startsWith("https://"),
  } as const;
}

/** Sets the session cookie. */
export function setSessionCookie(
  reply: FastifyReply,
  services: Services,
  session: { token: string; expiresAt: Date },
): void {
  reply.setCookie(sessionCookie, session.token, {
    ...cookieOptions(services),
    expires: session.expiresAt,
  });
}

/** The cookie that binds a Microsoft flow (registration, portal sign-in) to its browser. */
export const flowCookie = "tg_ms_flow";

/**
 * The browser's flow binding: its existing `tg_ms_flow` value (so flows started in two tabs both
 * stay valid) or a new one, set on the reply. Returns the value's SHA-256 for the flow row.
 */
export function bindFlowToBrowser(
  request: FastifyRequest,
  reply: FastifyReply,
  services: Services,
): string {
  const current = request.cookies[flowCookie];
  const value = current && current.length >= 32 && current.length <= 100 ? current : randomToken();
  reply.setCookie(flowCookie, value, { ...cookieOptions(services), maxAge: 60 * 60 });
  return hashToken(value);
}

/** The SHA-256 of this browser's flow binding, or null when it has none. */
export function flowBindingOf(request: FastifyRequest): string | null {
  const value = request.cookies[flowCookie];
  return value && value.length >= 32 && value.length <= 100 ? hashToken(value) : null;
}

/** True when the request comes from the browser that started the flow. */
export function isFlowBrowser(
  request: FastifyRequest,
  flow: { browserBindingHash: string | null } | null,
): boolean {
  const value = request.cookies[flowCookie];
  return Boolean(flow?.browserBindingHash && value && hashToken(value) === flow.browserBindingHash);
}
