import { z } from "@hono/zod-openapi";
import { MAX_DOMAIN_NAMES } from "@charon/core";
import { DomainNameSchema } from "./common.js";
import { CertificateCredentialSchema, ProviderSummarySchema } from "./proxy-hosts.js";

const CertificateMetaSchema = z
  .strictObject({
    dns_challenge: z.boolean().optional(),
    dns_provider: z.string().min(1).max(64).optional().openapi({ description: "A DNS provider type", example: "cloudflare" }),
    dns_provider_id: z.number().int().positive().optional(),
    letsencrypt_email: z.email().optional(),
    letsencrypt_agree: z.boolean().optional(),
    propagation_seconds: z.number().int().min(0).max(3600).optional(),
  })
  .openapi("CertificateMeta");

export const CertificateCreateSchema = z
  .strictObject({
    provider: z.literal("letsencrypt"),
    nice_name: z.string().trim().min(1).max(255).optional(),
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
    status: z.enum(["pending", "valid", "failed", "expired"]),
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
    }),
    dns_provider: ProviderSummarySchema.nullable(),
    credentials: z.array(CertificateCredentialSchema),
  })
  .openapi("Certificate");

export const CertificateListSchema = z.array(CertificateSchema).openapi("CertificateList");
