import {
  ConfidentialClientApplication,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from "@azure/msal-node";
import { Agent, fetch as undiciFetch } from "undici";

/** Helpers for tests that talk to the emulator over real HTTPS, trusting its CA explicitly. */

export type Fetch = (
  url: string,
  init?: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    redirect?: "manual" | "follow";
  },
) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
}>;

/** A fetch that trusts the emulator's CA (no global TLS setting). */
export function fetchTrusting(caPem: string): Fetch {
  const dispatcher = new Agent({ connect: { ca: caPem } });
  return (url, init = {}) => undiciFetch(url, { ...init, dispatcher });
}

/** An msal-node `system.networkClient` that trusts the emulator's CA. */
export function msalNetworkClient(caPem: string): INetworkModule {
  const f = fetchTrusting(caPem);
  const send = async <T>(
    url: string,
    method: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> => {
    const res = await f(url, {
      method,
      ...(options?.headers ? { headers: options.headers } : {}),
      ...(options?.body !== undefined ? { body: options.body } : {}),
    });
    const headers: Record<string, string> = {};
    for (const name of ["content-type", "retry-after", "x-ms-request-id", "date"]) {
      const v = res.headers.get(name);
      if (v !== null) headers[name] = v;
    }
    const text = await res.text();
    return { status: res.status, headers, body: (text ? JSON.parse(text) : {}) as T };
  };
  return {
    sendGetRequestAsync: (url, options) => send(url, "GET", options),
    sendPostRequestAsync: (url, options) => send(url, "POST", options),
  };
}

/** An msal confidential client (client secret) of an emulator tenant, trusting the emulator's CA. */
export function confidentialClient(
  emu: { loginUrl: string; caPem: string },
  tenant: string,
  app: { clientId: string; clientSecret: string },
): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: {
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      authority: `${emu.loginUrl}/${tenant}`,
      knownAuthorities: [new URL(emu.loginUrl).host],
    },
    system: { networkClient: msalNetworkClient(emu.caPem) },
  });
}

/**
 * The client credentials grant as raw HTTP (for Graph unless `scope` names another resource's
 * `/.default`), to see Entra's status and JSON as they are.
 */
export async function clientCredentialsGrant(
  f: Fetch,
  loginUrl: string,
  tenant: string,
  app: { clientId: string; clientSecret: string },
  scope = "https://graph.microsoft.com/.default",
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await f(`${loginUrl}/${tenant}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: app.clientId,
      client_secret: app.clientSecret,
      scope,
    }).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A JSON request with a bearer token: the status, the headers and the parsed body (null when empty). */
export async function requestJson(
  f: Fetch,
  url: string,
  init: { method?: string; body?: unknown; token: string },
): Promise<{
  status: number;
  headers: { get(name: string): string | null };
  // Tests read whatever the emulator answered, field by field.
  // biome-ignore lint/suspicious/noExplicitAny: a test helper's loosely typed JSON
  body: any;
}> {
  const res = await f(url, {
    method: init.method ?? "GET",
    headers: {
      authorization: `Bearer ${init.token}`,
      ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

/** The value of a hidden input or the presence of a named control in one of the emulator's pages. */
export function formField(html: string, name: string): string | null {
  const m = html.match(new RegExp(`name="${name}"[^>]*value="([^"]*)"`));
  return m ? (m[1] ?? "").replace(/&amp;/g, "&") : null;
}

export interface FormJourney {
  /** The final redirect target (the application's redirect URI with its query), when there is one. */
  location: string | null;
  /** The last page shown, when the journey stopped on a page (an error, or a consent page not answered). */
  page: string | null;
  status: number;
  /** The emulator's session cookie, to reuse for a later journey of the same user. */
  cookie: string | null;
}

/**
 * Drives the sign-in and consent pages as a person would: opens `url` (an authorize or adminconsent
 * URL), signs in, then on a consent page ticks "Consent on behalf of your organization" when asked
 * and presses Accept (or Cancel).
 */
export async function signInThroughForms(
  f: Fetch,
  url: string,
  input: {
    login: string;
    password: string;
    consentOnBehalf?: boolean;
    decision?: "accept" | "cancel";
    cookie?: string | null;
  },
): Promise<FormJourney> {
  let cookie = input.cookie ?? null;
  const headers = (): Record<string, string> => (cookie ? { cookie } : {});
  const remember = (setCookie: string | null) => {
    const m = setCookie?.match(/ESTSAUTH=[^;]*/);
    if (m) cookie = m[0];
  };
  let res = await f(url, { redirect: "manual", headers: headers() });
  let page = res.status >= 300 && res.status < 400 ? "" : await res.text();
  for (let step = 0; step < 4; step++) {
    if (res.status >= 300 && res.status < 400)
      return { location: res.headers.get("location"), page: null, status: res.status, cookie };
    const flow = formField(page, "flow");
    if (!flow) return { location: null, page, status: res.status, cookie };
    const form = new URLSearchParams({ flow });
    if (page.includes('name="passwd"')) {
      form.set("login", input.login);
      form.set("passwd", input.password);
    } else if (page.includes('name="accept"')) {
      if (input.consentOnBehalf) form.set("consent_on_behalf", "1");
      form.set(input.decision ?? "accept", "1");
    } else return { location: null, page, status: res.status, cookie };
    res = await f(url, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers() },
      body: form.toString(),
    });
    remember(res.headers.get("set-cookie"));
    page = res.status >= 300 && res.status < 400 ? "" : await res.text();
    if (
      page.includes("AADSTS50126") ||
      page.includes("AADSTS50034") ||
      page.includes("AADSTS50020")
    )
      return { location: null, page, status: res.status, cookie };
  }
  return { location: null, page, status: res.status, cookie };
}
