import { z } from "@hono/zod-openapi";
import { displayName, multiLine, singleLine } from "./strings.js";
import {
  successRate,
  lowSuccessRateMessage,
  LOW_SUCCESS_RATE,
  type CredentialTestResult,
  type DnsCredential,
  type MatchExplanation,
  type ProviderStatistics,
  type Reassignment,
  type SavedCredential,
} from "@charon/core";
import { DOMAIN_NAME_DOCUMENT, PageQuerySchema, ZONE_FILTER_DOCUMENT, cursorParameter, idParameter } from "./common.js";
import { CredentialFieldsSchema, credentialFields, credentialFieldsOfAnyType, credentialFieldsOnUpdate } from "./dns-providers.js";

export const CredentialParamsSchema = z.object({ id: idParameter("id", "path", 1), credentialId: idParameter("credentialId", "path", 42) });

/** As the other listings, but the document's body carries the next cursor (`next_cursor`). */
export const CredentialListQuerySchema = PageQuerySchema.extend({
  cursor: cursorParameter("`next_cursor` of the previous page"),
});

const secretsInput = credentialFieldsOfAnyType(
  "The provider's credential fields in either spelling (`api_token` or `CF_API_TOKEN`), write-only: those of the provider's type (another type's are a 409)",
);

export const CredentialCreateSchema = z
  .strictObject({
    name: displayName(100),
    description: multiLine(1000).nullable().optional(),
    zone_filter: singleLine(10_000).optional().openapi(ZONE_FILTER_DOCUMENT),
    enabled: z.boolean().optional(),
    credentials: secretsInput,
  })
  .openapi("CredentialCreate", {
    example: {
      name: "Customer B Production",
      description: "Credential for Customer B production domains",
      zone_filter: "*.customer-b.com",
      credentials: { api_token: "your-cloudflare-api-token" },
    },
  });

export const CredentialUpdateSchema = z
  .strictObject({
    name: displayName(100).optional(),
    description: multiLine(1000).nullable().optional(),
    zone_filter: singleLine(10_000).optional().openapi(ZONE_FILTER_DOCUMENT),
    enabled: z.boolean().optional(),
    // As the GET shows them (secrets "set") they keep the stored secret, so not the create's rule.
    credentials: credentialFieldsOnUpdate("Replaces the whole set; absent, the stored one stays").optional(),
  })
  .openapi("CredentialUpdate", {
    example: { description: "Updated credential description", zone_filter: "*.customer-b.com,*.customer-b.net" },
  });

/** The add form as the "Test Credential" button sends it: only `credentials` and `zone_filter` matter. */
export const UnsavedCredentialTestSchema = z
  .strictObject({
    name: singleLine(100).optional(),
    description: multiLine(1000).nullable().optional(),
    zone_filter: singleLine(10_000).optional().openapi(ZONE_FILTER_DOCUMENT),
    enabled: z.boolean().optional(),
    credentials: secretsInput,
  })
  .openapi("UnsavedCredentialTest");

export const CredentialSchema = z
  .object({
    id: z.number().int(),
    provider_id: z.number().int(),
    name: z.string(),
    description: z.string().nullable(),
    zone_filter: z.string(),
    enabled: z.boolean(),
    credentials: CredentialFieldsSchema,
    created_at: z.string(),
    updated_at: z.string(),
    last_used_at: z.string().nullable(),
    last_success_at: z.string().nullable(),
    last_failure_at: z.string().nullable(),
    last_tested_at: z.string().nullable(),
    last_test_status: z.enum(["success", "failed", "warning"]).nullable(),
    usage_count: z.number().int(),
    success_count: z.number().int(),
    failure_count: z.number().int(),
    success_rate: z.number().nullable().openapi({ description: "Percent, one decimal; null before the first operation" }),
    success_rate_alert: z.string().nullable().openapi({
      description: "The documents' Low Success Rate Alert while success_rate is below 90 % (also in the provider's statistics and as a credential_success_rate_low webhook); null otherwise",
      example: null,
    }),
  })
  .openapi("Credential");

export const CredentialListSchema = z
  .object({
    credentials: z.array(CredentialSchema),
    total: z.number().int(),
    next_cursor: z.string().nullable(),
  })
  .openapi("CredentialList");

export const CredentialDetailSchema = CredentialSchema.extend({
  domains: z.array(z.string()).openapi({ description: "Certificate names using this credential (at most 1000)" }),
}).openapi("CredentialDetail");

const WarningSchema = z.discriminatedUnion("code", [
  z.object({
    code: z.literal("overlap"),
    message: z.string(),
    credential_id: z.number().int(),
    pattern: z.string(),
  }),
  // The change is saved; some names still wait to move to the credential they now resolve to.
  z.object({ code: z.literal("reassignment_incomplete"), message: z.string() }),
]);

const ReassignedSchema = z.object({
  domain: z.string(),
  certificate_id: z.number().int(),
  from_credential_id: z.number().int(),
  to_credential_id: z.number().int(),
});

export const SavedCredentialSchema = CredentialSchema.extend({
  warnings: z.array(WarningSchema),
  reassigned_domains: z.array(ReassignedSchema).openapi({ description: "Certificate names now served by another credential" }),
}).openapi("SavedCredential");

export const CredentialDeletedSchema = z
  .object({ message: z.literal("Credential deleted successfully"), id: z.number().int() })
  .openapi("CredentialDeleted");

export const CredentialTestResultSchema = z
  .object({
    status: z.enum(["success", "failed", "warning"]),
    message: z.string(),
    details: z.object({
      provider: z.string(),
      test_performed: z.string().optional(),
      accessible_zones: z.array(z.string()).optional(),
      missing_zones: z.array(z.string()).optional(),
      error_code: z.string().optional(),
      error_message: z.string().optional(),
    }),
  })
  .openapi("CredentialTestResult");

export const MatchQuerySchema = z.strictObject({
  // The zones library's messages name the label and the rule (zone-matching.md §1); the document states it.
  domain: z.string().min(1).max(300).openapi({ ...DOMAIN_NAME_DOCUMENT, example: "shop.customer-a.com" }),
});

export const MatchSchema = z
  .object({
    domain: z.string(),
    zone: z.string().nullable(),
    credential: z.object({ id: z.number().int(), name: z.string(), zone_filter: z.string() }).nullable(),
    matched_pattern: z.string().nullable(),
    match_type: z.enum(["exact", "wildcard", "catch_all"]).nullable(),
    candidates: z.array(
      z.object({
        credential_id: z.number().int(),
        pattern: z.string(),
        match_type: z.enum(["exact", "wildcard", "catch_all"]),
        specificity: z.number().int(),
      }),
    ),
    multi_credential_enabled: z.boolean(),
    message: z.string().nullable(),
  })
  .openapi("CredentialMatch");

export const StatisticsSchema = z
  .object({
    provider_id: z.number().int(),
    total_credentials: z.number().int(),
    active_credentials: z.number().int().openapi({ description: "Used in the last 30 days" }),
    inactive_credentials: z.number().int().openapi({ description: "Not used in the last 90 days" }),
    top_credentials: z.array(
      z.object({ id: z.number().int(), name: z.string(), usage_count: z.number().int(), success_rate: z.number().nullable() }),
    ),
    alerts: z.array(
      z.object({ credential_id: z.number().int(), name: z.string(), success_rate: z.number(), message: z.string() }),
    ),
  })
  .openapi("DnsProviderStatistics");

export function credentialBody(c: DnsCredential): z.infer<typeof CredentialSchema> {
  return {
    id: c.id,
    provider_id: c.providerId,
    name: c.name,
    description: c.description,
    zone_filter: c.zoneFilter,
    enabled: c.enabled,
    credentials: credentialFields(c),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    last_used_at: c.stats.lastUsedAt,
    last_success_at: c.stats.lastSuccessAt,
    last_failure_at: c.stats.lastFailureAt,
    last_tested_at: c.lastTestedAt,
    last_test_status: c.lastTestStatus,
    usage_count: c.stats.usageCount,
    success_count: c.stats.successCount,
    failure_count: c.stats.failureCount,
    success_rate: successRate(c.stats),
    success_rate_alert: lowSuccessRateAlert(c),
  };
}

/** The Low Success Rate Alert's message while the credential's rate is below LOW_SUCCESS_RATE. */
function lowSuccessRateAlert(c: DnsCredential): string | null {
  const rate = successRate(c.stats);
  return rate !== null && rate < LOW_SUCCESS_RATE ? lowSuccessRateMessage(c.name, rate) : null;
}

export function savedCredentialBody(saved: SavedCredential): z.infer<typeof SavedCredentialSchema> {
  return {
    ...credentialBody(saved.credential),
    warnings: saved.warnings.map((w) =>
      w.code === "overlap" ? { code: w.code, message: w.message, credential_id: w.credentialId, pattern: w.pattern } : w,
    ),
    reassigned_domains: saved.reassigned.map(reassignedBody),
  };
}

function reassignedBody(r: Reassignment): z.infer<typeof ReassignedSchema> {
  return {
    domain: r.domain,
    certificate_id: r.certificateId,
    from_credential_id: r.fromCredentialId,
    to_credential_id: r.toCredentialId,
  };
}

export function testResultBody(result: CredentialTestResult): z.infer<typeof CredentialTestResultSchema> {
  const d = result.details;
  return {
    status: result.status,
    message: result.message,
    details: {
      provider: d.provider,
      ...(d.testPerformed !== undefined ? { test_performed: d.testPerformed } : {}),
      ...(d.accessibleZones !== undefined ? { accessible_zones: d.accessibleZones } : {}),
      ...(d.missingZones !== undefined ? { missing_zones: d.missingZones } : {}),
      ...(d.errorCode !== undefined ? { error_code: d.errorCode } : {}),
      ...(d.errorMessage !== undefined ? { error_message: d.errorMessage } : {}),
    },
  };
}

export function matchBody(m: MatchExplanation): z.infer<typeof MatchSchema> {
  return {
    domain: m.domain,
    zone: m.zone,
    credential: m.credential ? { id: m.credential.id, name: m.credential.name, zone_filter: m.credential.zoneFilter } : null,
    matched_pattern: m.matchedPattern,
    match_type: m.matchType,
    candidates: m.candidates.map((c) => ({
      credential_id: c.credentialId,
      pattern: c.pattern,
      match_type: c.matchType,
      specificity: c.specificity,
    })),
    multi_credential_enabled: m.multiCredential,
    message: m.message,
  };
}

export function statisticsBody(s: ProviderStatistics): z.infer<typeof StatisticsSchema> {
  return {
    provider_id: s.providerId,
    total_credentials: s.totalCredentials,
    active_credentials: s.activeCredentials,
    inactive_credentials: s.inactiveCredentials,
    top_credentials: s.topCredentials.map((t) => ({ id: t.id, name: t.name, usage_count: t.usageCount, success_rate: t.successRate })),
    alerts: s.alerts.map((a) => ({ credential_id: a.credentialId, name: a.name, success_rate: a.successRate, message: a.message })),
  };
}
