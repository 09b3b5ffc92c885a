import { generateKeyPair, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import forge from "node-forge";

/** The emulator's trust material: a CA, and one server certificate it signed for both origins. */
export interface TlsMaterial {
  caPem: string;
  caFile: string;
  key: string;
  cert: string;
}

const generateRsa = promisify(generateKeyPair);

async function rsaKeyPair(): Promise<{ privatePem: string; publicPem: string }> {
  // Native key generation (fast); node-forge only builds and signs the certificates.
  const { privateKey, publicKey } = await generateRsa("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return { privatePem: privateKey, publicPem: publicKey };
}

function serial(): string {
  // Positive, 16 bytes.
  return `01${randomBytes(15).toString("hex")}`;
}

function years(from: Date, n: number): Date {
  const d = new Date(from);
  d.setFullYear(d.getFullYear() + n);
  return d;
}

async function createCa(): Promise<{ certPem: string; keyPem: string }> {
  const keys = await rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
  cert.serialNumber = serial();
  const now = new Date(Date.now() - 60_000);
  cert.validity.notBefore = now;
  cert.validity.notAfter = years(now, 10);
  const subject = [
    { name: "commonName", value: "Teamgate Microsoft Emulator CA" },
    { name: "organizationName", value: "Teamgate development" },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  const caKey = forge.pki.privateKeyFromPem(keys.privatePem);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privatePem };
}

async function createServerCert(
  ca: { certPem: string; keyPem: string },
  hosts: string[],
  pendingKeys: Promise<{ privatePem: string; publicPem: string }> = rsaKeyPair(),
): Promise<{ certPem: string; keyPem: string }> {
  const keys = await pendingKeys;
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
  cert.serialNumber = serial();
  const now = new Date(Date.now() - 60_000);
  cert.validity.notBefore = now;
  cert.validity.notAfter = years(now, 2);
  cert.setSubject([{ name: "commonName", value: hosts[0] ?? "localhost" }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    {
      name: "subjectAltName",
      altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })),
    },
    {
      name: "authorityKeyIdentifier",
      keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes(),
    },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privatePem };
}

function certCovers(certPem: string, hosts: string[]): boolean {
  const cert = forge.pki.certificateFromPem(certPem);
  if (cert.validity.notAfter.getTime() < Date.now() + 86_400_000) return false;
  const san = cert.getExtension("subjectAltName") as
    | { altNames?: { type: number; value?: string; ip?: string }[] }
    | undefined;
  const names = new Set((san?.altNames ?? []).map((a) => a.ip ?? a.value ?? ""));
  return hosts.every((h) => names.has(h));
}

/**
 * Loads the CA and server certificate from `dir`, creating them on first use (and renewing the
 * server certificate when it no longer covers `hosts`). The CA never changes once written, so a
 * browser or NODE_EXTRA_CA_CERTS trusting it keeps working across restarts.
 */
export async function loadOrCreateTls(
  dir: string,
  extraHosts: string[] = [],
): Promise<TlsMaterial> {
  mkdirSync(dir, { recursive: true });
  const hosts = [...new Set(["127.0.0.1", "localhost", "::1", ...extraHosts])].filter(
    (h) => h !== "0.0.0.0" && h !== "::",
  );
  const caFile = join(dir, "ca.pem");
  const caKeyFile = join(dir, "ca-key.pem");
  const certFile = join(dir, "server.pem");
  const keyFile = join(dir, "server-key.pem");

  // Generated alongside the CA's key when both are new (RSA generation dominates start-up).
  let serverKeys: Promise<{ privatePem: string; publicPem: string }> | undefined;
  let ca: { certPem: string; keyPem: string };
  if (existsSync(caFile) && existsSync(caKeyFile)) {
    ca = { certPem: readFileSync(caFile, "utf8"), keyPem: readFileSync(caKeyFile, "utf8") };
  } else {
    serverKeys = rsaKeyPair();
    ca = await createCa();
    writeFileSync(caKeyFile, ca.keyPem, { mode: 0o600 });
    writeFileSync(caFile, ca.certPem);
  }
  let server: { certPem: string; keyPem: string };
  if (
    existsSync(certFile) &&
    existsSync(keyFile) &&
    certCovers(readFileSync(certFile, "utf8"), hosts)
  ) {
    server = { certPem: readFileSync(certFile, "utf8"), keyPem: readFileSync(keyFile, "utf8") };
  } else {
    server = await createServerCert(ca, hosts, serverKeys);
    writeFileSync(keyFile, server.keyPem, { mode: 0o600 });
    writeFileSync(certFile, server.certPem);
  }
  return { caPem: ca.certPem, caFile, key: server.keyPem, cert: server.certPem };
}
