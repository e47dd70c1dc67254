import { z } from "@hono/zod-openapi";
import { AGENT_REPORT_LIMITS } from "@charon/core";
import { MAX_ID } from "./common.js";
import { ProxyHostSchema } from "./proxy-hosts.js";
import { multiLine, singleLine } from "./strings.js";

export const AgentSnapshotSchema = z
  .object({
    proxy_hosts: z
      .array(ProxyHostSchema.omit({ created_on: true, meta: true, certificate: true }))
      .openapi({ description: "Every proxy host, lowest id first; disabled ones too (the agent stops serving them)" }),
    certificates: z
      .array(
        z.object({
          id: z.number().int(),
          domain_names: z.array(z.string()),
          expires_on: z.string().nullable(),
          fullchain_pem: z.string().openapi({ description: "The leaf followed by its issuer chain, PEM" }),
          private_key_jwe: z
            .string()
            .optional()
            .openapi({ description: "The private key (PEM) as a compact JWE (ECDH-ES, A256GCM) to the asking agent's approved key; absent otherwise" }),
        }),
      )
      .openapi({
        description:
          "The certificates in service (issued at least once), lowest id first; their private keys only sealed to the asking agent's approved key.",
      }),
  })
  .openapi("AgentSnapshot");

/** Hosts per report part, and parts per report (`AGENT_REPORT_LIMITS` in @charon/core). */
const { hostsPerPart: REPORT_PART_HOSTS, parts: MAX_REPORT_PARTS } = AGENT_REPORT_LIMITS;

const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const AGENT_ID_MESSAGE = "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit";

export const AgentSnapshotQuerySchema = z
  .object({
  agent_id: z
    .string()
    .regex(AGENT_ID, AGENT_ID_MESSAGE)
    .optional()
    .openapi({ param: { name: "agent_id", in: "query" }, description: "The asking agent: with an approved key, private keys come sealed to it", example: "edge-1" }),
  })
  .strict();

export const AgentIdParamsSchema = z.object({
  agent_id: z.string().regex(AGENT_ID, AGENT_ID_MESSAGE).openapi({ param: { name: "agent_id", in: "path" }, example: "edge-1" }),
});

const COORDINATE = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "must be 32 bytes in base64url (43 characters)");

export const AgentKeyRegistrationSchema = z
  .strictObject({
    public_key: z
      .strictObject({ kty: z.literal("EC"), crv: z.literal("P-256"), x: COORDINATE, y: COORDINATE })
      .openapi({ description: "The agent's public key as a JWK (RFC 7517): EC P-256, no private part" }),
  })
  .openapi("AgentKeyRegistration");

export const AgentKeyApprovalSchema = z
  .strictObject({
    thumbprint: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43}$/, "must be an RFC 7638 SHA-256 thumbprint (43 base64url characters)")
      .openapi({ description: "The key's RFC 7638 thumbprint, as the agent logged it" }),
  })
  .openapi("AgentKeyApproval");

export const AgentKeySchema = z
  .object({
    agent_id: z.string(),
    public_key: z.record(z.string(), z.unknown()),
    thumbprint: z.string(),
    approved: z.boolean(),
    registered_at: z.string(),
    approved_at: z.string().nullable(),
  })
  .openapi("AgentKey");

const HostApplyReportSchema = z
  .strictObject({
    id: z.number().int().min(1).max(MAX_ID),
    status: z.enum(["applied", "failed", "disabled"]),
    serving: z.enum(["desired", "previous", "none"]).openapi({ description: "What the proxy serves for the host now: the desired version, its last good one, or nothing" }),
    tls: z.boolean(),
    waf_mode: z.enum(["block", "monitor"]).nullable().openapi({ description: "The WAF mode in effect at the proxy; null when off" }),
    modified_on: singleLine(40)
      .optional()
      .openapi({
        description:
          "The host's `modified_on` in the snapshot applied: the host's `meta.nginx_online` / `nginx_err` count this entry while it is the host's current version (without it, never)",
      }),
  })
  .openapi("HostApplyReport");

const HostProblemSchema = z
  .strictObject({
    id: z.number().int().min(1).max(MAX_ID),
    error: multiLine(300).nullable().openapi({ description: "The proxy's own error line, or why the agent could not render the host" }),
    note: multiLine(100).nullable().openapi({ description: "What the user should know that is no failure (a certificate not servable yet: plain HTTP)" }),
  })
  .openapi("HostProblem");

/**
 * Printable ASCII but `"` and `\` (CrowdSec's names are): a decision's size in JSON is its length,
 * which keeps the largest valid report within the API's 256 KiB body limit.
 */
const ascii = (max: number) => z.string().max(max).regex(/^[\x20\x21\x23-\x5B\x5D-\x7E]*$/, "must be printable ASCII without '\"' or '\\'");

/** One pattern of several (zod's own for addresses and CIDRs), so that the document states it. */
const either = (...patterns: RegExp[]) => new RegExp(`^(?:${patterns.map((p) => p.source.replace(/^\^|\$$/g, "")).join("|")})$`);
const ADDRESS = either(z.regexes.ipv4, z.regexes.ipv6);
const NETWORK = either(z.regexes.cidrv4, z.regexes.cidrv6);

const decisionFields = {
  id: z.number().int().min(1).max(999_999_999_999).openapi({ description: "The Local API's id (`cscli decisions delete --id`)" }),
  type: z.literal("ban").openapi({ description: "Only bans become deny rules (a captcha needs a page the proxy cannot serve)" }),
  scenario: ascii(80).openapi({ example: "crowdsecurity/http-probing" }),
  origin: ascii(32).openapi({ example: "crowdsec" }),
  duration: ascii(32).openapi({ description: "Time left when the agent received it, as the Local API wrote it", example: "3h59m57.33s" }),
  until: z.iso.datetime({ offset: true, error: "must be an ISO 8601 time such as 2026-01-04T15:30:00Z" }).openapi({ description: "When the ban ends" }),
};

const AppliedDecisionSchema = z
  .discriminatedUnion("scope", [
    z.strictObject({ ...decisionFields, scope: z.literal("Ip"), value: z.string().regex(ADDRESS, "must be an IPv4 or IPv6 address").openapi({ example: "192.0.2.10" }) }),
    z.strictObject({ ...decisionFields, scope: z.literal("Range"), value: z.string().regex(NETWORK, "must be an IPv4 or IPv6 network in CIDR notation").openapi({ example: "192.0.2.0/24" }) }),
  ])
  .openapi("AppliedDecision", { description: "A CrowdSec ban the agent's proxy enforces: an address (`Ip`) or a network (`Range`)" });

const CrowdSecAppliedSchema = z
  .strictObject({
    decisions_total: z.number().int().min(0).max(10_000_000).openapi({ description: "How many bans the proxy enforces" }),
    skipped: z.number().int().min(0).max(10_000_000).openapi({ description: "Decisions in force the proxy does not apply: other types (captcha) and scopes (Country, AS)" }),
    error: multiLine(300).nullable().openapi({ description: "Why the bans may not be current: the Local API does not answer (the last ones stay in force) or the proxy refused the list" }),
    decisions: z.array(AppliedDecisionSchema).max(100).openapi({ description: "At most 100: the machine's own (origin crowdsec, cscli) first, then lowest id first" }),
  })
  .openapi("CrowdSecApplied");

const reportFields = {
    agent_id: z
      .string()
      .regex(AGENT_ID, AGENT_ID_MESSAGE)
      .openapi({ description: "Chosen by the agent (its host name, say); a report replaces that agent's previous one", example: "edge-1" }),
    version: singleLine(64).min(1).openapi({ example: "0.1.0" }),
    driver: z.enum(["nginx", "caddy"]),
    applied_etag: singleLine(100).nullable().openapi({ description: "The ETag of the snapshot applied last; null before the first" }),
    proxy_error: multiLine(1000).nullable().openapi({ description: "The proxy's error when it took nothing (not running, shared configuration refused)" }),
    // The limits keep the largest valid part (500 hosts, 100 texts of 3-byte characters: ~200 KB)
    // within the API's 256 KiB body limit (the e2e test sends it), with part 1's CrowdSec bans (at
    // most 40 KiB: test/e2e/agent-crowdsec.test.ts).
    hosts: z
      .array(HostApplyReportSchema)
      .max(REPORT_PART_HOSTS)
      .openapi({ description: `At most ${REPORT_PART_HOSTS} hosts per request: an agent serving more sends its report in parts (\`part\`, \`parts\`)` }),
    problems: z.array(HostProblemSchema).max(100).openapi({ description: "The texts of this part's failed hosts first, then notes; at most 100" }),
    part: z
      .number()
      .int()
      .min(1)
      .max(MAX_REPORT_PARTS)
      .default(1)
      .openapi({ description: "Which part of the report this is, from 1; at most `parts` (a 400 otherwise)" }),
    parts: z
      .number()
      .int()
      .min(1)
      .max(MAX_REPORT_PARTS)
      .default(1)
      .openapi({
        description:
          `How many parts the report has (${REPORT_PART_HOSTS} hosts each: ${REPORT_PART_HOSTS * MAX_REPORT_PARTS} hosts at most). The agent's report is part 1 and every other part up to \`parts\` ` +
          "with the same `applied_etag`; a part from another report is left out until its next heartbeat.",
      }),
    crowdsec: CrowdSecAppliedSchema.optional().openapi({
      description:
        "Part 1 only (a 400 otherwise), for an agent that is a CrowdSec bouncer: the bans its proxy enforces. They replace that agent's in `GET /api/security/crowdsec/decisions`; a part 1 without it removes them.",
    }),
};

export const AgentReportSchema = z.strictObject(reportFields).openapi("AgentReport");

/** Answers are open objects (a later version may add fields); requests are strict. */
const storedFields = {
  ...reportFields,
  received_at: z.string(),
  token_id: z.number().int().openapi({ description: "The token that sent the report" }),
};

export const StoredAgentReportSchema = z.object(storedFields).openapi("StoredAgentReport");

export const AgentStatusListSchema = z
  .array(
    z
      .object({
        ...storedFields,
        hosts: z.array(HostApplyReportSchema).openapi({ description: "Every part's hosts: part 1's and those of each other part with the same `applied_etag`" }),
        problems: z.array(HostProblemSchema).openapi({ description: "The texts of those parts" }),
        desired_etag: z.string().openapi({ description: "The ETag of the snapshot now" }),
        in_sync: z.boolean().openapi({ description: "Whether the agent's last report applied the snapshot there is now" }),
      })
      .openapi("AgentStatus"),
  )
  .openapi("AgentStatusList");
