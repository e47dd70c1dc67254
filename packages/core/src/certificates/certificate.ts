import type { NameCredential, ProviderSummary } from "../dns-providers/challenge-directory.js";

/**
 * A certificate as rest-api.md shows it (Nginx Proxy Manager's object plus its issuance state).
 * This layer stores and validates requests (`status: "pending"`); issuance makes them real.
 */
export type CertificateStatus = "pending" | "valid" | "failed" | "expired";

export interface CertificateMeta {
  dns_challenge: boolean;
  dns_provider?: string;
  dns_provider_id?: number;
  letsencrypt_email?: string;
  letsencrypt_agree?: boolean;
  propagation_seconds?: number;
}

/** The DNS credential each name's DNS-01 challenge uses ("Issued using credential: …"). */
export interface CertificateCredential {
  domain: string;
  credential_id: number;
  credential_name: string;
}

export interface Certificate {
  id: number;
  provider: "letsencrypt";
  nice_name: string;
  domain_names: string[];
  status: CertificateStatus;
  expires_on: string | null;
  created_on: string;
  modified_on: string;
  last_renewed_at: string | null;
  renewal_requested_at: string | null;
  meta: CertificateMeta;
  dns_provider: ProviderSummary | null;
  credentials: CertificateCredential[];
}

export interface CertificateRequest {
  provider: "letsencrypt";
  nice_name?: string;
  domain_names: string[];
  meta: Partial<CertificateMeta>;
}

/** What a proxy host shows of its certificate. */
export interface CertificateSummary {
  id: number;
  nice_name: string;
  status: CertificateStatus;
  expires_on: string | null;
  last_renewed_at: string | null;
  dns_provider: ProviderSummary | null;
  credentials: CertificateCredential[];
  /** "Issued using credential: Production" (names joined when several), or null. */
  issued_using: string | null;
}

export function certificateSummary(certificate: Certificate): CertificateSummary {
  const names = [...new Set(certificate.credentials.map((c) => c.credential_name))];
  return {
    id: certificate.id,
    nice_name: certificate.nice_name,
    status: certificate.status,
    expires_on: certificate.expires_on,
    last_renewed_at: certificate.last_renewed_at,
    dns_provider: certificate.dns_provider,
    credentials: certificate.credentials,
    issued_using: names.length === 0 ? null : `Issued using credential: ${names.join(", ")}`,
  };
}

export function credentialsOf(names: NameCredential[]): CertificateCredential[] {
  return names.map((n) => ({ domain: n.domain, credential_id: n.credentialId, credential_name: n.credentialName }));
}
