import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "./index.ts";
import { type Fetch, fetchTrusting } from "./testing.ts";

let emu: Emulator;
let f: Fetch;
const controlToken = "dns-control-token";

async function control(
  method: "GET" | "POST" | "DELETE",
  query: Record<string, string>,
  options: { body?: unknown; token?: string | null } = {},
) {
  const token = options.token === undefined ? controlToken : options.token;
  const search = Object.keys(query).length ? `?${new URLSearchParams(query)}` : "";
  const res = await f(`${emu.loginUrl}/_control/dns/txt${search}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

beforeAll(async () => {
  emu = await startEmulator({ controlToken });
  f = fetchTrusting(emu.caPem);
});
afterAll(() => emu.stop());

describe("DNS TXT records in the control API", () => {
  it("publishes once per value, reads the values of a name and removes one", async () => {
    const name = "customer1.sbc.example.net";
    expect((await control("POST", {}, { body: { name, value: "MS=ms1" } })).status).toBe(201);
    expect((await control("POST", {}, { body: { name, value: "MS=ms1" } })).status).toBe(201);
    expect((await control("POST", {}, { body: { name: `${name}.`, value: "other" } })).status).toBe(
      201,
    );
    expect((await control("GET", { name: "Customer1.SBC.example.net" })).body).toEqual({
      name: "Customer1.SBC.example.net",
      values: ["MS=ms1", "other"],
    });
    expect((await control("DELETE", { name, value: "MS=ms1" })).status).toBe(200);
    expect((await control("DELETE", { name, value: "MS=ms1" })).status).toBe(200);
    expect(emu.control.txtValues(name)).toEqual(["other"]);
    emu.control.removeTxt(name, "other");
    expect((await control("GET", { name })).body.values).toEqual([]);
  });

  it("is what Graph's domain verification reads", async () => {
    emu.control.publishTxt("verify.sbc.example.net", "MS=ms2");
    expect((await control("GET", { name: "verify.sbc.example.net" })).body.values).toEqual([
      "MS=ms2",
    ]);
    expect(emu.control.txtValues("verify.sbc.example.net.")).toEqual(["MS=ms2"]);
  });

  it("needs the control token and a name and value", async () => {
    expect((await control("GET", { name: "a.example.net" }, { token: null })).status).toBe(401);
    expect((await control("GET", { name: "a.example.net" }, { token: "wrong" })).status).toBe(401);
    expect(
      (await control("DELETE", { name: "a.example.net", value: "v" }, { token: null })).status,
    ).toBe(401);
    const missing = await control("GET", {});
    expect(missing).toMatchObject({ status: 400, body: { message: "name is required" } });
    expect((await control("DELETE", { name: "a.example.net" })).body.message).toBe(
      "value is required",
    );
    expect((await control("POST", {}, { body: { name: "a.example.net", value: 3 } })).status).toBe(
      400,
    );
  });
});
