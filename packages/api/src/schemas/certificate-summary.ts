import { z } from "@hono/zod-openapi";
import { CERTIFICATE_STATUSES, MAX_CERTIFICATES_READ, RENEWAL_DUE_SOURCES } from "@charon/core";

const statusCounts = z
  .object(Object.fromEntries(CERTIFICATE_STATUSES.map((s) => [s, z.number().int().min(0)])) as Record<(typeof CERTIFICATE_STATUSES)[number], z.ZodNumber>)
  .openapi({ description: "Certificates per status" });

export const CertificateSummarySchema = z
  .object({
    generated_at: z.string(),
    total: z.number().int().min(0).max(MAX_CERTIFICATES_READ).openapi({ description: `Certificates counted (at most ${MAX_CERTIFICATES_READ})` }),
    truncated: z.boolean().openapi({ description: `True when more than ${MAX_CERTIFICATES_READ} certificates exist: the figures cover the first ${MAX_CERTIFICATES_READ} by id` }),
    by_status: statusCounts,
    next_renewals: z
      .array(
        z.object({
          id: z.number().int(),
          nice_name: z.string(),
          domain_names: z.array(z.string()),
          renewal_at: z.string().openapi({ description: "When its renewal starts: renewal_due_at, or the retry time after a failed renewal" }),
          renewal_due_source: z.enum(RENEWAL_DUE_SOURCES).openapi({ description: "ari: in the CA's suggested window; lifetime: dns-01.md §4's backstop" }),
          expires_on: z.string(),
        }),
      )
      .max(10)
      .openapi({ description: "The 10 active certificates renewed soonest, soonest first" }),
    failing: z
      .array(
        z.object({
          id: z.number().int(),
          nice_name: z.string(),
          domain_names: z.array(z.string()),
          status: z.enum(CERTIFICATE_STATUSES).openapi({ description: "failed, or active when a renewal failed and the old certificate is still in service" }),
          error: z.string().nullable().openapi({ description: "Why its last order failed" }),
          since: z.string().openapi({ description: "When the certificate last changed" }),
        }),
      )
      .max(20)
      .openapi({ description: "Up to 20 failing certificates, most recently changed first" }),
    failing_total: z.number().int().min(0),
    expiring: z
      .object({ within_7_days: z.number().int().min(0), within_14_days: z.number().int().min(0), within_30_days: z.number().int().min(0) })
      .openapi({ description: "Active certificates expiring within 7, 14 and 30 days (each includes the shorter horizons)" }),
  })
  .openapi("CertificateOverview");
