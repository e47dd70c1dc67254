import type { NameCredential, ProviderSummary } from "../dns-providers/challenge-directory.js";
import type { RenewalSchedule } from "./renewal.js";

/**
 * A certificate as rest-api.md shows it (Nginx Proxy Manager's object plus its issuance state).
 * A request is stored `pending`; issuance (`@charon/acme`) makes it `active` or `failed`.
 */
export const CERTIFICATE_STATUSES = ["pending", "active", "failed", "expired"] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

/** `meta.key_type`: the certificate key's algorithm; `ecdsa-p256` when not given. */
export const KEY_TYPES = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096"] as const;
export type KeyType = (typeof KEY_TYPES)[number];
export const DEFAULT_KEY_TYPE: KeyType = "ecdsa-p256";

/** `meta.profile`: an ACME profile (Let's Encrypt's names), sent when the CA's directory offers it. */
export const ACME_PROFILES = ["classic", "tlsserver", "shortlived"] as const;
export type AcmeProfile = (typeof ACME_PROFILES)[number];

/**
 * The milestones of an order, in order (`step` while pending: the last one reached). Each is
 * persisted before the next begins, so whoever resumes an order continues after it.
 */
export const ISSUANCE_STEPS = [
  "requested",
  "order_created",
  "values_written",
  "propagated",
  "challenges_answered",
  "finalized",
  "stored",
  "cleaned",
] as const;
export type IssuanceStep = (typeof ISSUANCE_STEPS)[number];

/** Per name, where its DNS-01 value went and the credential that wrote it (dns-01.md §1). */
export interface NameValidation {
  domain: string;
  /** `_acme-challenge.<domain without "*.">`. */
  record_name: string;
  /** After following CNAMEs; equal to `record_name` without delegation. */
  effective_record_name: string;
  dns_credential: { id: number; name: string };
}

export interface CertificateMeta {
  dns_challenge: boolean;
  dns_provider?: string;
  dns_provider_id?: number;
  letsencrypt_email?: string;
  letsencrypt_agree?: boolean;
  propagation_seconds?: number;
  key_type?: KeyType;
  profile?: AcmeProfile;
}

/** The DNS credential each name's DNS-01 challenge uses ("Issued using credential: …"). */
export interface CertificateCredential {
  domain: string;
  credential_id: number;
  credential_name: string;
}

/** The schedule fields (`RenewalSchedule`) are set once a certificate is in service. */
export interface Certificate extends Partial<RenewalSchedule> {
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
  /** When the certificate in service was issued (ISO 8601); null before the first issuance. */
  issued_at?: string | null;
  /** Hexadecimal serial number of the certificate in service. */
  serial?: string | null;
  /** The issuing CA's distinguished name, as in the certificate. */
  issuer?: string | null;
  key_type?: KeyType;
  /** Set while an order runs: the last milestone it reached. */
  step?: IssuanceStep | null;
  /**
   * Why the last order failed (dns-01.md §5), null otherwise. While an order waits to retry a
   * step after a transient failure: that attempt's error, the message it ends with if the
   * retries run out.
   */
  error?: string | null;
  /** When a step that failed transiently is retried (ISO 8601); null when no retry is waiting. */
  next_retry_at?: string | null;
  /** Per name, the DNS-01 record and credential the last successful order used. */
  validations?: NameValidation[];
  /**
   * RFC 9773 §4.1's identifier of the certificate in service: base64url(authority key
   * identifier) "." base64url(serial number); what a renewal's `replaces` names.
   */
  ari_cert_id?: string | null;
}

/** The schedule of `certificate`, if it has one (a certificate in service). */
export function scheduleOf(certificate: Certificate): RenewalSchedule | undefined {
  if (typeof certificate.renewal_due_at !== "string" || certificate.renewal_due_source === undefined) return undefined;
  return {
    renewal_due_at: certificate.renewal_due_at,
    renewal_due_source: certificate.renewal_due_source,
    renewal_explanation_url: certificate.renewal_explanation_url ?? null,
    renewal_info_check_at: certificate.renewal_info_check_at ?? null,
    renewal_retry_at: certificate.renewal_retry_at ?? null,
    renewal_failures: certificate.renewal_failures ?? [],
  };
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
  // The credentials that actually answered the challenges once issued, those chosen at request time before.
  const used = certificate.validations?.map((v) => v.dns_credential.name) ?? certificate.credentials.map((c) => c.credential_name);
  const names = [...new Set(used)];
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

/** The longest `nice_name`: what a create accepts, and what an automatic one is kept within. */
export const MAX_NICE_NAME = 255;

/**
 * The automatic `nice_name`: the names joined by ", " (Nginx Proxy Manager's), or as many as fit
 * in MAX_NICE_NAME followed by "and N more", so that a certificate's GET fed back as a create is
 * accepted whatever the number of names.
 */
export function defaultNiceName(domainNames: string[]): string {
  const all = domainNames.join(", ");
  if (all.length <= MAX_NICE_NAME) return all;
  const shown: string[] = [];
  for (const name of domainNames) {
    const rest = domainNames.length - shown.length - 1;
    if (`${[...shown, name].join(", ")} and ${rest} more`.length > MAX_NICE_NAME) break;
    shown.push(name);
  }
  const suffix = ` and ${domainNames.length - Math.max(shown.length, 1)} more`;
  if (shown.length === 0) return `${domainNames[0]!.slice(0, MAX_NICE_NAME - suffix.length - 1)}…${suffix}`;
  return `${shown.join(", ")}${suffix}`;
}
