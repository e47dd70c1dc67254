import type { Certificate, CertificateCredential, CertificateSummary, NameValidation } from "../certificates/certificate.js";
import type { ProviderSummary } from "../dns-providers/challenge-directory.js";
import type { WafHost, WafStatus } from "../security/service.js";
import { allows, type Principal } from "./permissions.js";

/**
 * What an answer shows of objects of another resource type that it embeds (a host's
 * certificate, a certificate's DNS provider and credentials, the hosts of the WAF status): in
 * full to a token that may read that type, otherwise by id only, so a scoped token learns no
 * more about a type than its own routes of that type would tell it (403).
 */

/** A DNS provider as an embedding answer shows it: `{id}` alone without `dns_providers` read. */
export type ProviderReference = Pick<ProviderSummary, "id"> & Partial<Omit<ProviderSummary, "id">>;
/** A name's credential: without `dns_providers` read, its id only (no name). */
export type CredentialReference = Omit<CertificateCredential, "credential_name"> & Partial<Pick<CertificateCredential, "credential_name">>;

export type EmbeddedCertificateSummary = Omit<CertificateSummary, "dns_provider" | "credentials"> & {
  dns_provider: ProviderReference | null;
  credentials: CredentialReference[];
};
export type CertificateView = Omit<Certificate, "dns_provider" | "credentials" | "validations"> & {
  dns_provider: ProviderReference | null;
  credentials: CredentialReference[];
  /** Each name's credential by id only without `dns_providers` read. */
  validations?: Array<Omit<NameValidation, "dns_credential"> & { dns_credential: { id: number; name?: string } }>;
};
export type WafHostView = Pick<WafHost, "id" | "reported"> & Partial<Pick<WafHost, "domain_names">>;
export type WafStatusView = Omit<WafStatus, "hosts"> & { hosts: Record<keyof WafStatus["hosts"], WafHostView[]> };

/**
 * A certificate's DNS side for `principal`: provider and credentials as stored, or by id only
 * (and no `issued_using`, which names the credentials) without `dns_providers` read.
 */
function dnsSideFor<T extends { dns_provider: ProviderSummary | null; credentials: CertificateCredential[] }>(
  principal: Principal,
  certificate: T,
): Omit<T, "dns_provider" | "credentials"> & { dns_provider: ProviderReference | null; credentials: CredentialReference[] } {
  if (allows(principal, "dns_providers", "read")) return certificate;
  return {
    ...certificate,
    dns_provider: certificate.dns_provider === null ? null : { id: certificate.dns_provider.id },
    credentials: certificate.credentials.map(({ domain, credential_id }) => ({ domain, credential_id })),
  };
}

/** A certificate as the certificate routes answer it to `principal`. */
export function certificateFor(principal: Principal, certificate: Certificate): CertificateView {
  const view = dnsSideFor(principal, certificate);
  if (view === certificate || certificate.validations === undefined) return view;
  return { ...view, validations: certificate.validations.map((v) => ({ ...v, dns_credential: { id: v.dns_credential.id } })) };
}

/**
 * A host's certificate summary for `principal`: null without `certificates` read (the host's
 * `certificate_id` still names it), its DNS side by id without `dns_providers` read.
 */
export function certificateSummaryFor(principal: Principal, summary: CertificateSummary | null): EmbeddedCertificateSummary | null {
  if (summary === null || !allows(principal, "certificates", "read")) return null;
  const view = dnsSideFor(principal, summary);
  return view === summary ? summary : { ...view, issued_using: null };
}

/** The WAF status for `principal`: each host's names only with `proxy_hosts` read. */
export function wafStatusFor(principal: Principal, status: WafStatus): WafStatusView {
  if (allows(principal, "proxy_hosts", "read")) return status;
  const ids = (hosts: WafHost[]) => hosts.map(({ id, reported }) => ({ id, reported }));
  return { ...status, hosts: { block: ids(status.hosts.block), monitor: ids(status.hosts.monitor), off: ids(status.hosts.off) } };
}
