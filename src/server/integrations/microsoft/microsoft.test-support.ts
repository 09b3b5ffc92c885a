import { Agent, fetch } from "undici";

/**
 * A minimal browser for the emulator's sign-in and consent pages (plain HTML forms): keeps
 * cookies, follows redirects by hand and stops at the application's redirect URI.
 */
export class FormBrowser {
  private readonly cookies = new Map<string, string>();
  private readonly agent: Agent;
  url = "";
  html = "";

  constructor(
    caPem: string,
    private readonly stopAt: string[],
  ) {
    this.agent = new Agent({ connect: { ca: caPem } });
  }

  /** Opens a URL; returns the redirect URI reached, or null when a page is shown. */
  async open(url: string): Promise<URL | null> {
    return this.request(url, { method: "GET" });
  }

  /** Submits the page's form: its hidden fields plus `fields` (a button is one more field). */
  async submit(fields: Record<string, string>): Promise<URL | null> {
    const form = /<form\b[^>]*>/i.exec(this.html)?.[0];
    if (!form) throw new Error(`no form on ${this.url}:\n${this.html.slice(0, 2000)}`);
    const action = /action="([^"]*)"/i.exec(form)?.[1];
    const body = new URLSearchParams();
    for (const input of this.html.matchAll(/<input\b[^>]*type="hidden"[^>]*>/gi)) {
      const name = /name="([^"]*)"/i.exec(input[0])?.[1];
      const value = /value="([^"]*)"/i.exec(input[0])?.[1] ?? "";
      if (name) body.set(unescapeHtml(name), unescapeHtml(value));
    }
    for (const [k, v] of Object.entries(fields)) body.set(k, v);
    const target = action ? new URL(unescapeHtml(action), this.url).toString() : this.url;
    return this.request(target, {
      method: "POST",
      body: body.toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
  }

  has(text: string | RegExp): boolean {
    return typeof text === "string" ? this.html.includes(text) : text.test(this.html);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async request(
    url: string,
    init: { method: string; body?: string; headers?: Record<string, string> },
  ): Promise<URL | null> {
    let current = url;
    let options = init;
    for (let hop = 0; hop < 10; hop++) {
      if (this.stopAt.some((prefix) => current.startsWith(prefix))) return new URL(current);
      const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
      const response = await fetch(current, {
        method: options.method,
        headers: { ...options.headers, ...(cookie ? { cookie } : {}) },
        ...(options.body === undefined ? {} : { body: options.body }),
        redirect: "manual",
        dispatcher: this.agent,
      });
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(";");
        const eq = pair?.indexOf("=") ?? -1;
        if (pair && eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      }
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        current = new URL(location, current).toString();
        options = { method: "GET" };
        continue;
      }
      this.url = current;
      this.html = await response.text();
      return null;
    }
    throw new Error(`too many redirects from ${url}`);
  }
}

function unescapeHtml(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}
