import { certificateCovers } from "@charon/zones";
import type { SnapshotCertificate, SnapshotHost } from "./snapshot.js";

/** The certificate a host is served with, or why it is served over plain HTTP. */
export type CertificateChoice =
  | { certificate: SnapshotCertificate & { private_key_pem: string }; note: string | null }
  | { certificate: null; note: string | null };

/**
 * A host's own certificate first, else one whose names cover all the host's names (a wildcard),
 * else none: plain HTTP, with a note saying why when the host asked for a certificate.
 * Certificates without key material in the snapshot cannot be served.
 */
export function chooseCertificate(host: SnapshotHost, certificates: readonly SnapshotCertificate[]): CertificateChoice {
  const servable = certificates.filter(
    (c): c is SnapshotCertificate & { private_key_pem: string } => typeof c.private_key_pem === "string" && c.private_key_pem !== "",
  );
  const coversHost = (c: SnapshotCertificate) => host.domain_names.every((name) => certificateCovers(c.domain_names, name));
  const own = servable.find((c) => c.id === host.certificate_id);
  if (own && coversHost(own)) return { certificate: own, note: null };
  const covering = servable.find(coversHost);
  // Notes are terse, one clause each: a report's note holds 100 characters, and a driver adds its own.
  if (covering) {
    const note = host.certificate_id === 0 ? null : `served with certificate ${covering.id} (${host.certificate_id} unservable)`;
    return { certificate: covering, note };
  }
  if (host.certificate_id === 0) return { certificate: null, note: null };
  const listed = certificates.find((c) => c.id === host.certificate_id);
  const why = !listed
    ? `certificate ${host.certificate_id} not issued yet`
    : !servable.includes(listed as SnapshotCertificate & { private_key_pem: string })
      ? `certificate ${host.certificate_id} has no private key here`
      : `certificate ${host.certificate_id} does not cover every name`;
  return { certificate: null, note: `${why}: plain HTTP` };
}
