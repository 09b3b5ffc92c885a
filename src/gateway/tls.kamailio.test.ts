/**
 * The Microsoft side over TLS: a gateway node's Kamailio with its TLS listener (mutual TLS,
 * certificates from a test CA), sipp playing Microsoft's proxy behind stunnel (sipp speaks no
 * TLS). Microsoft's keep-alive OPTIONS get 200, a client without a certificate gets no TLS
 * session, and the node's own keep-alive OPTIONS reach the proxy over TLS naming its SBC FQDN.
 * Runs only with KAMAILIO_TESTS=1 and kamailio, sipp, stunnel and openssl on PATH.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  kamailioArgs,
  renderDispatcherList,
  renderKamailioConfig,
  renderTlsConfig,
  renderUacregDb,
} from "./kamailio/render.ts";
import { createKamailioRpc, type KamailioRpc } from "./kamailio/rpc.ts";
import { freePort, kamailioPresent, kamailioTestsWanted, until } from "./kamailio.test-support.ts";
import { findMessage, header, type SippRun, sippPresent, startSipp } from "./sipp.test-support.ts";
import { type Supervisor, superviseProcess } from "./supervisor.ts";

const present = (cmd: string, args: string[]) => !spawnSync(cmd, args).error;
const enabled =
  kamailioTestsWanted &&
  kamailioPresent &&
  sippPresent &&
  present("stunnel4", ["-version"]) &&
  present("openssl", ["version"]);

const SBC_FQDN = "sbc1.carrier.test";

/** A test CA and the certificates signed by it, as PEM file paths. */
function makeCertificates(dir: string) {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
  const file = (name: string) => join(dir, name);
  openssl(
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Test CA"],
    ...["-keyout", file("ca.key"), "-out", file("ca.pem")],
  );
  const issue = (name: string, cn: string, sans: string[]) => {
    writeFileSync(file(`${name}.ext`), `subjectAltName=${sans.map((s) => `DNS:${s}`).join(",")}\n`);
    openssl(
      ...["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${cn}`],
      ...["-keyout", file(`${name}.key`), "-out", file(`${name}.csr`)],
    );
    openssl(
      ...["x509", "-req", "-in", file(`${name}.csr`), "-CA", file("ca.pem")],
      ...["-CAkey", file("ca.key"), "-CAcreateserial", "-days", "2"],
      ...["-extfile", file(`${name}.ext`), "-out", file(`${name}.pem`)],
    );
  };
  // the node: its SBC FQDN and the wildcard its enterprises' derived trunks fall under
  issue("node", SBC_FQDN, [SBC_FQDN, `*.${SBC_FQDN}`]);
  // Microsoft's side, as a client (mutual TLS) and as the proxy the node calls
  issue("microsoft", "sip.pstnhub.microsoft.test", ["sip.pstnhub.microsoft.test"]);
  // a PBX the node registers to over TLS
  issue("pbx", "pbx.provider.test", ["pbx.provider.test"]);
  return {
    ca: file("ca.pem"),
    node: { cert: file("node.pem"), key: file("node.key") },
    microsoft: { cert: file("microsoft.pem"), key: file("microsoft.key") },
    pbx: { cert: file("pbx.pem"), key: file("pbx.key") },
  };
}

describe.skipIf(!enabled)(
  `the Microsoft side over mutual TLS${enabled ? "" : " (skipped: set KAMAILIO_TESTS=1 with kamailio, sipp, stunnel4 and openssl installed)"}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), "teamgate-tls-"));
    const logs: string[] = [];
    let kamailio: Supervisor;
    let stunnel: Supervisor;
    let rpc: KamailioRpc;
    let certs: ReturnType<typeof makeCertificates>;
    let tlsPort: number;
    /** stunnel: plain TCP in here, mutual TLS out to the node (Microsoft calling the node). */
    let toNodePort: number;
    /** stunnel: TLS in here from the node, plain TCP out to sipp (the node calling Microsoft). */
    let proxyTlsPort: number;
    let proxySippPort: number;
    let optionsToProxy: Promise<SippRun>;
    /** The node's TLS listener for PBXs; stunnel's TLS port in front of the PBX (sipp on TCP). */
    let pbxSideTlsPort: number;
    let pbxTlsPort: number;
    let pbxSippPort: number;

    beforeAll(async () => {
      certs = makeCertificates(dir);
      [tlsPort, toNodePort, proxyTlsPort, proxySippPort, pbxSideTlsPort, pbxTlsPort, pbxSippPort] =
        await Promise.all([
          freePort(),
          freePort(),
          freePort(),
          freePort(),
          freePort(),
          freePort(),
          freePort(),
        ]);
      // Microsoft's proxy (sipp behind stunnel) waits for the node's keep-alive OPTIONS
      optionsToProxy = startSipp({
        dir,
        name: "proxy",
        localPort: proxySippPort,
        transport: "tcp",
        timeoutSeconds: 30,
        scenario: `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="proxy">
<recv request="OPTIONS"/>
<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]proxy
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
</scenario>
`,
      }).done;
      writeFileSync(
        join(dir, "stunnel.conf"),
        [
          "foreground = yes",
          `pid = ${join(dir, "stunnel.pid")}`,
          "debug = 4",
          "[to-node]",
          "client = yes",
          `accept = 127.0.0.1:${toNodePort}`,
          `connect = 127.0.0.1:${tlsPort}`,
          `cert = ${certs.microsoft.cert}`,
          `key = ${certs.microsoft.key}`,
          `CAfile = ${certs.ca}`,
          "verifyChain = yes",
          `checkHost = ${SBC_FQDN}`,
          "[microsoft-proxy]",
          `accept = 127.0.0.1:${proxyTlsPort}`,
          `connect = 127.0.0.1:${proxySippPort}`,
          `cert = ${certs.microsoft.cert}`,
          `key = ${certs.microsoft.key}`,
          `CAfile = ${certs.ca}`,
          "verifyChain = yes",
          "[pbx]",
          `accept = 127.0.0.1:${pbxTlsPort}`,
          `connect = 127.0.0.1:${pbxSippPort}`,
          `cert = ${certs.pbx.cert}`,
          `key = ${certs.pbx.key}`,
          "",
        ].join("\n"),
      );
      stunnel = superviseProcess({
        cmd: "stunnel4",
        args: [join(dir, "stunnel.conf")],
        onOutput: (line) => logs.push(`stunnel: ${line}`),
      });

      const uacDbDir = join(dir, "uacdb");
      mkdirSync(uacDbDir);
      mkdirSync(join(dir, "run"));
      for (const [name, text] of Object.entries(renderUacregDb()))
        writeFileSync(join(uacDbDir, name), text);
      const rpcPort = await freePort();
      const options = {
        nodeName: "tls-test",
        pbx: {
          address: "127.0.0.1",
          port: await freePort(),
          transports: ["udp"] as const,
          tlsPort: pbxSideTlsPort,
        },
        microsoft: {
          address: "127.0.0.1",
          port: tlsPort,
          tls: {
            certificatePath: certs.node.cert,
            privateKeyPath: certs.node.key,
            caListPath: certs.ca,
            requireClientCertificate: true,
            configPath: join(dir, "tls.cfg"),
          },
          networks: ["127.0.0.0/8"],
        },
        aliases: [SBC_FQDN],
        microsoftProxies: [{ uri: `sip:127.0.0.1:${proxyTlsPort};transport=tls` }],
        optionsIntervalSeconds: 1,
        dispatcherListPath: join(dir, "dispatcher.list"),
        uacDbDir,
        optionsFromHost: SBC_FQDN,
        rpcPort,
        hepPort: await freePort(),
        registrations: { expectedCount: 10 },
        children: 2,
      };
      writeFileSync(options.dispatcherListPath, renderDispatcherList(options));
      writeFileSync(options.microsoft.tls.configPath, renderTlsConfig(options) ?? "");
      writeFileSync(join(dir, "kamailio.cfg"), renderKamailioConfig(options));
      kamailio = superviseProcess({
        cmd: "kamailio",
        args: kamailioArgs({
          configPath: join(dir, "kamailio.cfg"),
          runDir: join(dir, "run"),
          expectedRegistrations: 10,
        }),
        onOutput: (line) => logs.push(`kamailio: ${line}`),
      });
      rpc = createKamailioRpc({ url: `http://127.0.0.1:${rpcPort}/RPC`, timeoutMs: 2_000 });
      await until("Kamailio's JSON-RPC", () => rpc.coreUptime().then(() => true), 20_000);
    }, 60_000);

    afterAll(async () => {
      await kamailio?.stop();
      await stunnel?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const explain = (run: SippRun) =>
      `${run.messages}\n${run.stderr}\n${logs.slice(-40).join("\n")}`;

    it("answers Microsoft's OPTIONS over mutual TLS with 200", async () => {
      const run = await startSipp({
        dir,
        name: "microsoft-options",
        localPort: await freePort(),
        transport: "tcp",
        remote: `127.0.0.1:${toNodePort}`,
        scenario: `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="microsoft-options">
<send retrans="500"><![CDATA[
OPTIONS sip:${SBC_FQDN}:5061;transport=tls SIP/2.0
Via: SIP/2.0/TLS [local_ip]:[local_port];branch=[branch]
From: <sip:sip.pstnhub.microsoft.test>;tag=[pid]ms
To: <sip:${SBC_FQDN}>
Call-ID: [call_id]
CSeq: 1 OPTIONS
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="200"/>
</scenario>
`,
      }).done;
      expect(run.status, explain(run)).toBe(0);
    }, 30_000);

    it("refuses a TLS client that presents no certificate", async () => {
      const outcome = await new Promise<string>((done) => {
        const socket = connect({
          host: "127.0.0.1",
          port: tlsPort,
          ca: readFileSync(certs.ca),
          servername: SBC_FQDN,
        });
        socket.once("secureConnect", () => {
          // TLS 1.3 may finish the client side first; the server then closes at once
          socket.write(
            `OPTIONS sip:${SBC_FQDN} SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:1;branch=z9hG4bKnocert\r\nFrom: <sip:x@x>;tag=1\r\nTo: <sip:${SBC_FQDN}>\r\nCall-ID: nocert\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
          );
        });
        let answer = "";
        socket.on("data", (chunk) => {
          answer += chunk.toString();
        });
        socket.once("error", (error) => done(`error: ${error.message}`));
        socket.once("close", () => done(answer ? `answered: ${answer}` : "closed"));
        setTimeout(() => {
          socket.destroy();
          done(answer ? `answered: ${answer}` : "timeout");
        }, 5_000);
      });
      expect(outcome).not.toMatch(/answered/);
    }, 15_000);

    it("registers a device at a PBX over TLS, with a Contact that brings the PBX's calls back over TLS", async () => {
      const pbx = startSipp({
        dir,
        name: "pbx-tls",
        localPort: pbxSippPort,
        transport: "tcp",
        scenario: `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="pbx-tls">
<recv request="REGISTER"/>
<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]pbx
[last_Call-ID:]
[last_CSeq:]
[last_Contact:];expires=300
Content-Length: 0

]]></send>
</scenario>
`,
      });
      await new Promise((done) => setTimeout(done, 300));
      await rpc.regAdd({
        lUuid: "dev_tls",
        lUsername: "dev_tls",
        lDomain: SBC_FQDN,
        rUsername: "1001",
        rDomain: "pbx.provider.test",
        realm: "",
        authUsername: "1001",
        authPassword: "secret",
        authProxy: `sip:127.0.0.1:${pbxTlsPort};transport=tls`,
        expires: 300,
        contactAddr: `127.0.0.1:${pbxSideTlsPort};transport=tls`,
      });
      const run = await pbx.done;
      expect(run.status, explain(run)).toBe(0);
      const register = findMessage(run.received, /^REGISTER /) ?? "";
      expect(register).toMatch(/^Via: SIP\/2\.0\/TLS /m);
      expect(header(register, "Contact")).toBe(
        `<sip:dev_tls@127.0.0.1:${pbxSideTlsPort};transport=tls>`,
      );
      await until(
        "registered over TLS",
        async () => (await rpc.regInfo("dev_tls"))?.state === "registered",
      );
      await rpc.call("uac.reg_remove", ["dev_tls"]);
    }, 30_000);

    it("answers a PBX on its TLS listener without asking for a client certificate", async () => {
      const answer = await new Promise<string>((done) => {
        const socket = connect({
          host: "127.0.0.1",
          port: pbxSideTlsPort,
          ca: readFileSync(certs.ca),
          servername: SBC_FQDN,
        });
        let text = "";
        socket.once("secureConnect", () => {
          socket.write(
            `OPTIONS sip:${SBC_FQDN} SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:1;branch=z9hG4bKpbxtls\r\nFrom: <sip:pbx@pbx.provider.test>;tag=1\r\nTo: <sip:${SBC_FQDN}>\r\nCall-ID: pbxtls\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
          );
        });
        socket.on("data", (chunk) => {
          text += chunk.toString();
          if (text.includes("\r\n\r\n")) {
            socket.destroy();
            done(text);
          }
        });
        socket.once("error", (error) => done(`error: ${error.message}`));
        setTimeout(() => {
          socket.destroy();
          done(text || "timeout");
        }, 5_000);
      });
      expect(answer.split("\r\n")[0]).toBe("SIP/2.0 200 OK");
    }, 15_000);

    it("sends its keep-alive OPTIONS to Microsoft's proxy over TLS, naming its SBC FQDN, and marks the proxy up", async () => {
      const run = await optionsToProxy;
      expect(run.status, explain(run)).toBe(0);
      const options = findMessage(run.received, /^OPTIONS /) ?? "";
      expect(header(options, "Contact")).toBe(`<sip:${SBC_FQDN}:${tlsPort};transport=tls>`);
      expect(header(options, "From")).toMatch(new RegExp(`^<?sip:options@${SBC_FQDN}>?;tag=`));
      expect(header(options, "X-MS-SBC")).toBe("Teamgate/SBC/1.0");
      expect(options).toMatch(/^Via: SIP\/2\.0\/TLS /m);
      const list = await rpc.call<{
        RECORDS?: Array<{ SET?: { TARGETS?: Array<{ DEST?: { URI?: string; FLAGS?: string } }> } }>;
      }>("dispatcher.list");
      const dest = list.RECORDS?.[0]?.SET?.TARGETS?.[0]?.DEST;
      expect(dest?.URI).toBe(`sip:127.0.0.1:${proxyTlsPort};transport=tls`);
      expect(dest?.FLAGS).toMatch(/^A/);
    }, 40_000);
  },
);
