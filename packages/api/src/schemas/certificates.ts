import { z } from "@hono/zod-openapi";
import {
  ACME_PROFILES,
  CERTIFICATE_STATUSES,
  DNS_PROVIDER_TYPE_NAMES,
  ISSUANCE_STEPS,
  KEY_TYPES,
  MAX_DOMAIN_NAMES,
  MAX_NICE_NAME,
  RENEWAL_DUE_SOURCES,
} from "@charon/core";
import { singleLine } from "./strings.js";
import { DomainNameSchema } from "./common.js";
import { CertificateCredentialSchema, ProviderSummarySchema } from "./proxy-hosts.js";

const CertificateMetaSchema = z
  .strictObject({
    dns_challenge: z.boolean().optional(),
    // The service names the supported types when refusing another; the document lists them.
    dns_provider: singleLine(64).min(1).optional().openapi({ description: "A DNS provider type", enum: [...DNS_PROVIDER_TYPE_NAMES], example: "cloudflare" }),
    dns_provider_id: z.number().int().positive().optional(),
    // The document states the address form the server checks (zod's), not only `format: email`.
    letsencrypt_email: z.email().optional().openapi({ pattern: z.regexes.email.source }),
    letsencrypt_agree: z.boolean().optional(),
    propagation_seconds: z.number().int().min(0).max(3600).optional(),
    key_type: z.enum(KEY_TYPES).optional().openapi({ description: "The certificate key's algorithm (default ecdsa-p256)" }),
    profile: z.enum(ACME_PROFILES).optional().openapi({
      description:
        "An ACME profile, sent with the order when the CA's directory offers profiles; a CA without profiles issues its default",
    }),
  })
  .openapi("CertificateMeta");

/** `meta` names a DNS provider, by type or id. */
const NAMES_PROVIDER = { anyOf: [{ required: ["dns_provider"] }, { required: ["dns_provider_id"] }] };

/**
 * What the service checks between fields of a request (`challengeMeta`), in the document: a DNS-01
 * request names a provider and does not set `dns_challenge` false; any other leaves the provider
 * out, does not set `dns_challenge` true, and has no wildcard name (only DNS-01 validates those).
 * The service keeps the checking and its messages; this is their statement, for `acceptingReadOnly`.
 */
export const CERTIFICATE_CHALLENGE_RULE = {
  anyOf: [
    { required: ["meta"], properties: { meta: { ...NAMES_PROVIDER, properties: { dns_challenge: { const: true } } } } },
    {
      properties: {
        meta: { not: NAMES_PROVIDER, properties: { dns_challenge: { const: false } } },
        domain_names: { items: { not: { pattern: "^\\*\\." } } },
      },
    },
  ],
};

export const CertificateCreateSchema = z
  .strictObject({
    provider: z.literal("letsencrypt"),
    nice_name: singleLine(MAX_NICE_NAME).trim().min(1).optional(),
    domain_names: z.array(DomainNameSchema).min(1).max(MAX_DOMAIN_NAMES),
    meta: CertificateMetaSchema.default({}),
  })
  .openapi("CertificateCreate", {
    example: {
      provider: "letsencrypt",
      domain_names: ["secure.example.com"],
      meta: { dns_challenge: true, dns_provider: "cloudflare" },
    },
  });

export const CertificateSchema = z
  .object({
    id: z.number().int(),
    provider: z.literal("letsencrypt"),
    nice_name: z.string(),
    domain_names: z.array(z.string()),
    status: z.enum(CERTIFICATE_STATUSES).openapi({ description: "pending until issued, then active; failed when the order failed" }),
    expires_on: z.string().nullable(),
    created_on: z.string(),
    modified_on: z.string(),
    last_renewed_at: z.string().nullable(),
    renewal_requested_at: z.string().nullable(),
    meta: z.object({
      dns_challenge: z.boolean(),
      dns_provider: z.string().optional(),
      dns_provider_id: z.number().int().optional(),
      letsencrypt_email: z.string().optional(),
      letsencrypt_agree: z.boolean().optional(),
      propagation_seconds: z.number().int().optional(),
      key_type: z.enum(KEY_TYPES).optional(),
      profile: z.enum(ACME_PROFILES).optional(),
    }),
    dns_provider: ProviderSummarySchema.nullable(),
    credentials: z.array(CertificateCredentialSchema).openapi({ description: "The credential each name selected at request time" }),
    issued_at: z.string().nullable().optional(),
    serial: z.string().nullable().optional().openapi({ description: "Hexadecimal serial number" }),
    issuer: z.string().nullable().optional(),
    key_type: z.enum(KEY_TYPES).optional(),
    step: z.enum(ISSUANCE_STEPS).nullable().optional().openapi({ description: "While pending: the last step the order reached" }),
    error: z.string().nullable().optional().openapi({
      description:
        "Why the last order failed; while an order waits to retry a step that failed transiently, that attempt's error (the message it ends with if the retries run out); while it waits for a limit (the CA's new-order budget of the account, a free slot of the DNS provider, the CA's 429 Retry-After), what it waits for",
    }),
    next_retry_at: z
      .string()
      .nullable()
      .optional()
      .openapi({
        description: "While an order waits to retry a step that failed transiently, or for a limit (see error): when it goes on (ISO 8601); null otherwise",
      }),
    validations: z
      .array(
        z.object({
          domain: z.string(),
          record_name: z.string(),
          effective_record_name: z.string(),
          dns_credential: z
            .object({ id: z.number().int(), name: z.string().optional() })
            .openapi({ description: "The credential that wrote the value (its name only to tokens that may read DNS providers)" }),
        }),
      )
      .optional()
      .openapi({ description: "Per name, the DNS-01 record and the credential the last successful order used" }),
    ari_cert_id: z.string().nullable().optional().openapi({
      description:
        "RFC 9773 §4.1 identifier of the certificate in service (base64url authority key identifier '.' base64url serial), sent as `replaces` by its renewal",
    }),
    renewal_due_at: z.string().optional().openapi({
      description:
        "When the certificate in service is renewed (ISO 8601): a uniformly random time in the CA's ARI window (RFC 9773), or with 1/3 of its lifetime left (1/2 for 10 days or less)",
    }),
    renewal_due_source: z.enum(RENEWAL_DUE_SOURCES).optional().openapi({
      description: "Where renewal_due_at came from: `ari` (the CA's renewal information) or `lifetime` (the backstop)",
    }),
    renewal_explanation_url: z.string().nullable().optional().openapi({ description: "The CA's explanationURL for its renewal window, when it gave one" }),
    renewal_info_check_at: z.string().nullable().optional().openapi({
      description: "When the CA's renewal information is fetched next (its Retry-After, at least twice a day); null when the CA offers none",
    }),
    renewal_retry_at: z.string().nullable().optional().openapi({
      description: "After a failed renewal: no attempt before this (1 min, 10 min, 100 min, then daily), or the end of the hour after 5 failed orders of a name",
    }),
    renewal_failures: z
      .array(z.object({ domain: z.string(), consecutive_failures: z.number().int().min(1) }))
      .optional()
      .openapi({ description: "Names whose renewals failed since their last success, with how many in a row" }),
  })
  .openapi("Certificate");

export const CertificateListSchema = z.array(CertificateSchema).openapi("CertificateList");
