/** The tls module's configuration file for the Microsoft side, as a template over resolved paths. */

/** Paths and policy the tls.cfg template needs, resolved by `renderTlsConfig`. */
export interface TlsCfgView {
  certificatePath: string;
  privateKeyPath: string;
  caListPath: string;
  /** Mutual TLS: Microsoft presents a certificate that must verify against `caListPath`. */
  requireClientCertificate: boolean;
}

const yesNo = (value: boolean) => (value ? "yes" : "no");

/** Lays out tls.cfg: one server profile for inbound TLS and one client profile for outbound. */
export function tlsCfgTemplate(v: TlsCfgView): string {
  return `# Teamgate gateway node TLS profiles: rendered by src/gateway/kamailio/render.ts.

[server:default]
method = TLSv1.2+
verify_certificate = ${yesNo(v.requireClientCertificate)}
require_certificate = ${yesNo(v.requireClientCertificate)}
private_key = ${v.privateKeyPath}
certificate = ${v.certificatePath}
ca_list = ${v.caListPath}

[client:default]
method = TLSv1.2+
verify_certificate = yes
require_certificate = yes
private_key = ${v.privateKeyPath}
certificate = ${v.certificatePath}
ca_list = ${v.caListPath}
`;
}
