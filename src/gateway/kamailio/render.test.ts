import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  type KamailioNodeOptions,
  kamailioArgs,
  registrationHashSize,
  renderDispatcherList,
  renderHtableDb,
  renderHtableDbVersion,
  renderKamailioConfig,
  renderTlsConfig,
  renderUacregDb,
  rpcReplyQueueBytes,
  sharedMemoryMb,
} from "./render.ts";

const dir = mkdtempSync(join(tmpdir(), "teamgate-render-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function options(overrides: Partial<KamailioNodeOptions> = {}): KamailioNodeOptions {
  return {
    nodeName: "eu-1",
    pbx: { address: "127.0.0.1", port: 5080, transports: ["udp", "tcp"] },
    microsoft: null,
    microsoftProxies: [
      { uri: "sip:sip.pstnhub.microsoft.com:5061;transport=tls" },
      { uri: "sip:sip2.pstnhub.microsoft.com:5061;transport=tls" },
    ],
    dispatcherListPath: join(dir, "dispatcher.list"),
    uacDbDir: join(dir, "db"),
    optionsFromHost: "sbc.carrier.example",
    rpcPort: 5081,
    hepPort: 9060,
    registrations: { expectedCount: 20 },
    ...overrides,
  };
}

const kamailioPresent = spawnSync("kamailio", ["-v"]).status === 0;

/** Writes every rendered file where the options point and asks `kamailio -c` about it. */
function kamailioCheck(o: KamailioNodeOptions): { status: number | null; output: string } {
  mkdirSync(o.uacDbDir, { recursive: true });
  for (const [name, text] of Object.entries(renderUacregDb())) {
    writeFileSync(join(o.uacDbDir, name), text);
  }
  writeFileSync(o.dispatcherListPath, renderDispatcherList(o));
  const tls = renderTlsConfig(o);
  if (tls && o.microsoft?.tls) writeFileSync(o.microsoft.tls.configPath, tls);
  const configPath = join(dir, "kamailio.cfg");
  writeFileSync(configPath, renderKamailioConfig(o));
  const run = spawnSync("kamailio", ["-c", "-f", configPath], { encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe("renderKamailioConfig", () => {
  const cfg = renderKamailioConfig(options());
  const lines = cfg.split("\n");

  it("listens on the PBX side (UDP and TCP) and the JSON-RPC port on loopback, no TLS", () => {
    expect(lines.filter((line) => line.startsWith("listen="))).toEqual([
      "listen=udp:127.0.0.1:5080",
      "listen=tcp:127.0.0.1:5080",
      "listen=tcp:127.0.0.1:5081",
    ]);
    expect(cfg).toContain("enable_tls=no");
    expect(cfg).not.toContain('loadmodule "tls.so"');
    expect(cfg).toContain('modparam("jsonrpcs", "transport", 1)');
    expect(cfg).toContain('if ($Rp != 5081 || $si != "127.0.0.1")');
  });

  it("sets uac up for registrations over RPC: db_text table, contact, timers, hash size", () => {
    expect(lines.filter((line) => line.startsWith('modparam("uac"'))).toEqual([
      `modparam("uac", "reg_db_url", "text://${dir}/db")`,
      'modparam("uac", "reg_contact_addr", "127.0.0.1:5080")',
      'modparam("uac", "reg_timer_interval", 1)',
      'modparam("uac", "reg_retry_interval", 30)',
      'modparam("uac", "reg_hash_size", 4)',
      'modparam("uac", "reg_gc_interval", 10)',
      'modparam("uac", "reg_keep_callid", 1)',
      'modparam("uac", "auth_username_avp", "$avp(auser)")',
      'modparam("uac", "auth_password_avp", "$avp(apass)")',
      'modparam("uac", "auth_realm_avp", "$avp(arealm)")',
      'modparam("uac", "restore_mode", "auto")',
      'modparam("uac", "restore_dlg", 1)',
    ]);
  });

  it("defines the routing htables, the dispatcher list, HEP to loopback, sanity and pike", () => {
    expect(lines.filter((line) => line.startsWith('modparam("htable"'))).toEqual([
      'modparam("htable", "htable", "fqdn=>size=10;autoexpire=0;")',
      'modparam("htable", "htable", "ent=>size=10;autoexpire=0;")',
      'modparam("htable", "htable", "entmoh=>size=10;autoexpire=0;")',
      'modparam("htable", "htable", "entfqdn=>size=10;autoexpire=0;")',
      'modparam("htable", "htable", "num=>size=14;autoexpire=0;")',
      'modparam("htable", "htable", "usr=>size=14;autoexpire=0;")',
      'modparam("htable", "htable", "dev=>size=14;autoexpire=0;")',
      'modparam("htable", "htable", "pbxip=>size=10;autoexpire=0;")',
    ]);
    expect(cfg).toContain(`modparam("dispatcher", "list_file", "${dir}/dispatcher.list")`);
    expect(cfg).toContain(
      'modparam("dispatcher", "ds_ping_from", "sip:options@sbc.carrier.example")',
    );
    expect(cfg).toContain('modparam("siptrace", "duplicate_uri", "sip:127.0.0.1:9060")');
    expect(cfg).toContain('modparam("siptrace", "hep_mode_on", 1)');
    expect(cfg).toContain('if (!sanity_check("17895", "7"))');
    expect(cfg).toContain("if (!has_totag() && !pike_check_req())");
    expect(cfg).toContain('modparam("pike", "reqs_density_per_unit", 600)');
    expect(renderKamailioConfig(options({ pike: null }))).not.toContain("pike");
  });

  it("answers OPTIONS to the node with 200 and refuses what is not a call with 405", () => {
    expect(cfg).toMatch(
      /is_method\("OPTIONS"\) && \$rU == \$null\) \{\n(\t+#.*\n)?\t+sl_send_reply\("200"/,
    );
    expect(cfg).toContain('sl_send_reply("405", "Method Not Allowed");');
  });

  it("decides calls from the htables: tenant by FQDN, screening, device credentials, Microsoft's shape", () => {
    const ms = renderKamailioConfig(
      options({
        microsoft: { address: "10.0.0.5", port: 5061, tls: null, networks: ["52.112.0.0/14"] },
        rtpengine: { ngPort: 2223 },
      }),
    );
    expect(ms).toContain('if (!is_in_subnet("$si", "52.112.0.0/14"))');
    expect(ms).toContain("$vn(ent) = $sht(fqdn=>$vn(fqdn));");
    expect(ms).toContain('sl_send_reply("403", "Forbidden: calling number not allowed");');
    expect(ms).toContain("$avp(auser) = $(var(dev){s.select,1,|}{s.decode.hexa});");
    expect(ms).toContain('append_hf("X-MS-SBC: Teamgate/SBC/1.0\\r\\n");');
    expect(ms).toContain(";user=phone");
    // no open relay: A locations through the DNS cache, SRV/NAPTR ones through pbxip
    expect(ms).toContain('if (!dns_int_match_ip("$var(pbxhost)", "$si"))');
    expect(ms).toContain('} else if ($sht(pbxip=>$var(pbxhost)|$var(src)) != "1") {');
    expect(ms).toContain("dns_try_naptr=yes");
    expect(ms).toContain("use_dns_failover=on");
    expect(ms).toContain('$fs = "tcp:10.0.0.5:5061";');
    expect(ms).toContain('modparam("rtpengine", "rtpengine_sock", "udp:127.0.0.1:2223")');
    expect(ms).toMatch(/rtpengine_offer\("[^"]*RTP\/SAVP[^"]*SDES-no-AES_CM_128_HMAC_SHA1_32/);
    expect(ms).not.toContain("SDES-no-AES_CM_128_HMAC_SHA1_80");
    expect(renderKamailioConfig(options({ rtpengine: null, microsoft: null }))).not.toContain(
      "rtpengine_offer",
    );
  });

  it("refuses Microsoft networks that are not CIDRs, and a Microsoft port equal to the PBX one", () => {
    const ms = (networks: string[], port = 5061) =>
      renderKamailioConfig(
        options({ microsoft: { address: "127.0.0.1", port, tls: null, networks } }),
      );
    expect(() => ms([])).toThrow(/networks/);
    expect(() => ms(["52.112.0.0"])).toThrow(/CIDR/);
    expect(() => ms(["52.112.0.0/33"])).toThrow(/CIDR/);
    expect(() => ms(['1.2.3.4/8"'])).toThrow(/CIDR/);
    expect(() => ms(["127.0.0.0/8"], 5080)).toThrow(/different ports/);
  });

  it("adds TLS on the Microsoft side with an advertised address when configured", () => {
    const withTls = options({
      microsoft: {
        address: "10.0.0.5",
        port: 5061,
        advertise: { address: "203.0.113.7", port: 5061 },
        tls: {
          certificatePath: join(dir, "cert.pem"),
          privateKeyPath: join(dir, "key.pem"),
          caListPath: join(dir, "ca.pem"),
          requireClientCertificate: true,
          configPath: join(dir, "tls.cfg"),
        },
        networks: ["52.112.0.0/14", "52.122.0.0/15"],
      },
    });
    const text = renderKamailioConfig(withTls);
    expect(text).toContain('listen=tls:10.0.0.5:5061 advertise 203.0.113.7:5061 name "microsoft"');
    // a request's side is the socket it came in on
    expect(text).toContain('if ($Rn == "microsoft") {');
    expect(text).toContain(`modparam("tls", "config", "${dir}/tls.cfg")`);
    const tls = renderTlsConfig(withTls) ?? "";
    expect(tls).toContain("require_certificate = yes");
    expect(tls).toContain(`certificate = ${dir}/cert.pem`);
    expect(renderTlsConfig(options())).toBeNull();
    // the servers the node connects to are verified with the client CA list when one is given
    expect(tls).toContain(`ca_list = ${dir}/ca.pem`);
    expect(tls).not.toContain("[server:10.0.0.5");
  });

  it("adds a TLS listener for PBXs beside UDP and TCP, without mutual TLS, when a port is given", () => {
    const tlsFiles = {
      certificatePath: join(dir, "cert.pem"),
      privateKeyPath: join(dir, "key.pem"),
      caListPath: join(dir, "ms-ca.pem"),
      clientCaListPath: "/etc/ssl/certs/ca-certificates.crt",
      requireClientCertificate: true,
      configPath: join(dir, "tls.cfg"),
    };
    const microsoft = {
      address: "10.0.0.5",
      port: 5061,
      tls: tlsFiles,
      networks: ["52.112.0.0/14"],
    };
    const withPbxTls = options({
      pbx: { address: "10.0.1.5", port: 5060, transports: ["udp", "tcp"], tlsPort: 5061 },
      microsoft,
    });
    expect(renderKamailioConfig(withPbxTls)).toContain("listen=tls:10.0.1.5:5061\n");
    const tls = renderTlsConfig(withPbxTls) ?? "";
    const pbxProfile = tls.slice(tls.indexOf("[server:10.0.1.5:5061]"));
    expect(pbxProfile).toMatch(
      /^\[server:10\.0\.1\.5:5061\]\nmethod = TLSv1\.2\+\nverify_certificate = no\nrequire_certificate = no\n/,
    );
    expect(tls).toContain("ca_list = /etc/ssl/certs/ca-certificates.crt");
    // no certificate, no TLS for PBXs; and never on the Microsoft listener's own address and port
    expect(() =>
      renderKamailioConfig(
        options({ pbx: { address: "10.0.1.5", port: 5060, transports: ["udp"], tlsPort: 5061 } }),
      ),
    ).toThrow(/needs the node's TLS certificate/);
    expect(() =>
      renderKamailioConfig(
        options({
          pbx: { address: "10.0.0.5", port: 5060, transports: ["udp"], tlsPort: 5061 },
          microsoft,
        }),
      ),
    ).toThrow(/different ports/);
  });

  it("refuses values that would break the configuration", () => {
    expect(() => renderKamailioConfig(options({ nodeName: 'a"b' }))).toThrow(/nodeName/);
    expect(() =>
      renderKamailioConfig(
        options({ pbx: { address: "pbx.example", port: 5060, transports: ["udp"] } }),
      ),
    ).toThrow(/must be an IP/);
    expect(() => renderKamailioConfig(options({ rpcPort: 70000 }))).toThrow(/rpcPort/);
    expect(() => renderKamailioConfig(options({ uacDbDir: "db" }))).toThrow(/absolute/);
    expect(() => renderKamailioConfig(options({ optionsIntervalSeconds: 0 }))).toThrow(/1 to 3600/);
    expect(() => renderDispatcherList({ microsoftProxies: [{ uri: "http://x" }] })).toThrow();
  });

  it.skipIf(!kamailioPresent)("is accepted by `kamailio -c`", () => {
    const result = kamailioCheck(options());
    expect(result.output).not.toMatch(/ERROR|CRITICAL/);
    expect(result.status).toBe(0);
  });

  it.skipIf(!kamailioPresent || spawnSync("openssl", ["version"]).status !== 0)(
    "is accepted by `kamailio -c` with TLS on the Microsoft side and for PBXs",
    () => {
      const key = join(dir, "tls-key.pem");
      const cert = join(dir, "tls-cert.pem");
      execFileSync(
        "openssl",
        [
          ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
          ...["-subj", "/CN=sbc.carrier.example", "-keyout", key, "-out", cert],
        ],
        { stdio: "ignore" },
      );
      const result = kamailioCheck(
        options({
          microsoft: {
            address: "127.0.0.1",
            port: 5061,
            tls: {
              certificatePath: cert,
              privateKeyPath: key,
              caListPath: cert,
              requireClientCertificate: true,
              configPath: join(dir, "tls.cfg"),
            },
            networks: ["127.0.0.0/8"],
          },
          pbx: { address: "127.0.0.1", port: 5060, transports: ["udp", "tcp"], tlsPort: 5062 },
          rtpengine: { ngPort: 2223, holdMusic: "/usr/share/teamgate/moh.wav" },
        }),
      );
      expect(result.output).not.toMatch(/ERROR|CRITICAL/);
      expect(result.status).toBe(0);
    },
  );
});

/** db_text's reading of one string column (dbt_file.c): `\` escapes n r t \ 0 and the delimiter. */
function dbTextUnescape(field: string): string {
  let out = "";
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = field[++i];
    out += { n: "\n", r: "\r", t: "\t", "\\": "\\", "0": "\0", ":": ":" }[next ?? ""] ?? "\uFFFF";
  }
  return out;
}
/** Splits a row on unescaped delimiters. */
function fields(row: string): string[] {
  const out: string[] = [];
  let field = "";
  for (let i = 0; i < row.length; i++) {
    const c = row[i]!;
    if (c === "\\") field += c + (row[++i] ?? "");
    else if (c === ":") {
      out.push(field);
      field = "";
    } else field += c;
  }
  out.push(field);
  return out;
}

describe("dispatcher list, uacreg table and command line", () => {
  it("puts the Microsoft proxies in set 1, first one highest priority", () => {
    expect(renderDispatcherList(options()).split("\n").slice(2)).toEqual([
      "1 sip:sip.pstnhub.microsoft.com:5061;transport=tls 0 2",
      "1 sip:sip2.pstnhub.microsoft.com:5061;transport=tls 0 1",
      "",
    ]);
  });

  it("renders an empty uacreg table at version 5", () => {
    const db = renderUacregDb();
    expect(db.version).toContain("uacreg:5");
    expect(db.uacreg.trim().split(" ")).toHaveLength(16);
  });

  it("writes each registration as a uacreg row db_text reads back exactly, in uac's column order", () => {
    const spec = fc.record({
      lUuid: fc.string({ minLength: 1 }),
      lUsername: fc.string({ minLength: 1 }),
      lDomain: fc.string({ minLength: 1 }),
      rUsername: fc.string({ minLength: 1 }),
      rDomain: fc.string({ minLength: 1 }),
      realm: fc.string(),
      authUsername: fc.string({ minLength: 1 }),
      authPassword: fc.string({ minLength: 1 }),
      authProxy: fc.string({ minLength: 1 }),
      expires: fc.nat(),
      regDelay: fc.nat(),
      contactAddr: fc.string(),
      socket: fc.string(),
    });
    fc.assert(
      fc.property(fc.array(spec, { maxLength: 20 }), (specs) => {
        const db = renderUacregDb(specs);
        const [header, ...rows] = db.uacreg.slice(0, -1).split("\n");
        const names = header!.split(" ").map((column) => column.replace(/\(.*\)$/, ""));
        expect(names).toEqual([
          ...["id", "l_uuid", "l_username", "l_domain", "r_username", "r_domain", "realm"],
          ...["auth_username", "auth_password", "auth_ha1", "auth_proxy", "expires", "flags"],
          ...["reg_delay", "contact_addr", "socket"],
        ]);
        expect(rows).toHaveLength(specs.length);
        const read = rows.map((row) => {
          const values = fields(row);
          expect(values).toHaveLength(names.length);
          return Object.fromEntries(names.map((name, i) => [name, values[i]!]));
        });
        read.forEach((row, i) => {
          const s = specs[i]!;
          expect(row.id).toBe(String(i + 1));
          expect([row.expires, row.flags, row.reg_delay, row.auth_ha1]).toEqual([
            String(s.expires),
            "0",
            String(s.regDelay),
            "",
          ]);
          const strings = {
            l_uuid: s.lUuid,
            l_username: s.lUsername,
            l_domain: s.lDomain,
            r_username: s.rUsername,
            r_domain: s.rDomain,
            realm: s.realm,
            auth_username: s.authUsername,
            auth_password: s.authPassword,
            auth_proxy: s.authProxy,
            contact_addr: s.contactAddr,
            socket: s.socket,
          };
          for (const [name, value] of Object.entries(strings))
            expect(dbTextUnescape(row[name]!)).toBe(value);
        });
      }),
    );
  });

  it("refuses a uacreg row uac would drop or db_text could not read", () => {
    const base = {
      ...{ lUuid: "dev_1", lUsername: "dev_1", lDomain: "gw", rUsername: "100", rDomain: "pbx" },
      ...{ realm: "", authUsername: "100", authProxy: "sip:pbx" },
    };
    expect(() => renderUacregDb([{ ...base, authPassword: null, expires: 300 }])).toThrow(
      /authPassword/,
    );
    expect(() => renderUacregDb([{ ...base, authPassword: "x", expires: 1.5 }])).toThrow(/expires/);
  });

  it("sizes shared memory from the device count and the call rate, the uac hash table from the device count", () => {
    expect(sharedMemoryMb(0, 0)).toBe(64);
    expect(sharedMemoryMb(10_000, 0)).toBe(377);
    // 300 call setups a second by default: 75 MB for their transactions and dialogs
    expect(sharedMemoryMb(0)).toBe(139);
    expect(sharedMemoryMb(10_000)).toBe(452);
    expect(rpcReplyQueueBytes(10_000)).toBe(1_048_576 + 10_240_000);
    const big = renderKamailioConfig(options({ registrations: { expectedCount: 10_000 } }));
    expect(big).toContain("tcp_conn_wq_max=11288576\n");
    expect(big).toContain("tcp_wq_max=45154304\n");
    // a cold start's REGISTER answers arrive together: UDP buffers may grow to 4 MB
    expect(big).toContain("maxbuffer=4194304\n");
    expect(renderKamailioConfig(options({ udpReceiveBufferMax: 262_144 }))).toContain(
      "maxbuffer=262144\n",
    );
    expect(registrationHashSize(20)).toBe(4);
    expect(registrationHashSize(10_000)).toBe(12);
    expect(registrationHashSize(1_000_000)).toBe(14);
    expect(
      kamailioArgs({ configPath: "/k.cfg", runDir: "/run/k", expectedRegistrations: 10_000 }),
    ).toEqual(["-DD", "-E", "-f", "/k.cfg", "-Y", "/run/k", "-m", "452", "-M", "16"]);
  });
});

describe("htable db_text files", () => {
  it("writes each key and value so db_text reads them back exactly, one row per line", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), fc.string()), (entries) => {
        const text = renderHtableDb(new Map(Object.entries(entries)));
        const [header, ...rows] = text.slice(0, -1).split("\n");
        expect(header).toBe(
          "key_name(string) key_type(int) value_type(int) key_value(string) expires(int)",
        );
        expect(rows.length).toBe(Object.keys(entries).length);
        const read = Object.fromEntries(
          rows.map((row) => {
            const [key = "", type, valueType, value = "", expires] = fields(row);
            expect([type, valueType, expires]).toEqual(["0", "0", "0"]);
            return [dbTextUnescape(key), dbTextUnescape(value)];
          }),
        );
        expect(read).toEqual({ ...entries });
      }),
    );
  });

  it("loads the htables from their directory when one is given", () => {
    const withDb = renderKamailioConfig(options({ htablesDbDir: join(dir, "htables") }));
    expect(withDb).toContain(`modparam("htable", "db_url", "text://${dir}/htables")`);
    expect(withDb).toContain(
      'modparam("htable", "htable", "dev=>size=14;autoexpire=0;dbtable=dev;")',
    );
    expect(renderHtableDbVersion()).toContain("dev:2\n");
    expect(() => renderKamailioConfig(options({ htablesDbDir: "htables" }))).toThrow(/absolute/);
  });
});
