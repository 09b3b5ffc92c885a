/** The tls module's configuration file for the Microsoft side, as a template over resolved paths. */

/** Paths and policy the tls.cfg template needs, resolved by `renderTlsConfig`. */
export interface TlsCfgView {
  certificatePath: string;
  privateKeyPath: string;
  caListPath: string;
  /** CAs that verify the servers the node connects to (Microsoft's proxies, PBXs over TLS). */
  clientCaListPath: string;
  /** The PBX-side TLS listener (`address:port`): PBXs present no certificate there. */
  pbxServer: string | null;
  /** Mutual TLS: Microsoft presents a certificate that must verify against `caListPath`. */
  requireClientCertificate: boolean;
}

const yesNo = (value: boolean) => (value ? "yes" : "no");

/**
 * Lays out tls.cfg: one server profile for inbound TLS (Microsoft, and PBXs calling the node's
 * PBX-side TLS listener) and one client profile for outbound (Microsoft's proxies, PBXs).
 */
export function tlsCfgTemplate(v: TlsCfgView): string {
  return `# Teamgate gateway node TLS profiles: rendered by src/gateway/kamailio/render.ts.

[server:default]
method = TLSv1.2+
verify_certificate = ${yesNo(v.requireClientCertificate)}
require_certificate = ${yesNo(v.requireClientCertificate)}
private_key = ${v.privateKeyPath}
certificate = ${v.certificatePath}
ca_list = ${v.caListPath}
${
  v.pbxServer
    ? `
[server:${v.pbxServer}]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = ${v.privateKeyPath}
certificate = ${v.certificatePath}
`
    : ""
}
[client:default]
method = TLSv1.2+
verify_certificate = yes
require_certificate = yes
private_key = ${v.privateKeyPath}
certificate = ${v.certificatePath}
ca_list = ${v.clientCaListPath}
`;
}
