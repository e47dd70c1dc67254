import { z } from "@hono/zod-openapi";
import { PageQuerySchema } from "./common.js";

const WafHostSchema = z
  .object({
    id: z.number().int(),
    domain_names: z.array(z.string()).optional().openapi({ description: "Only for tokens that may read proxy hosts" }),
    reported: z
      .array(
        z
          .object({
            agent_id: z.string(),
            driver: z.enum(["nginx", "caddy"]),
            waf_mode: z.enum(["block", "monitor", "off", "unsupported"]).openapi({
              description: "In effect at that agent's proxy; `unsupported`: the WAF is on but the agent's driver has none (Caddy), so the host runs without it",
            }),
          })
          .openapi("ReportedWaf"),
      )
      .openapi({
        description:
          "The WAF mode in effect as each agent that applied the host's current version reports it, by agent id, beside the desired mode (the group the host is in). " +
          "Empty while no agent serves this version; an agent that failed the host is not listed (its error is the host's `meta.nginx_err`).",
      }),
  })
  .openapi("WafHost");

export const WafStatusSchema = z
  .object({
    enabled: z.boolean().openapi({ description: "The global switch (settings' waf_enabled)" }),
    counts: z
      .object({ block: z.number().int(), monitor: z.number().int(), off: z.number().int() })
      .openapi({ description: "Hosts by the mode they serve with; `off`: the host's WAF is off or the host is disabled" }),
    hosts: z.object({ block: z.array(WafHostSchema), monitor: z.array(WafHostSchema), off: z.array(WafHostSchema) }),
  })
  .openapi("WafStatus");

export const DecisionQuerySchema = PageQuerySchema.extend({
  ip: z.string().min(1).max(64).optional().openapi({ param: { name: "ip", in: "query" }, example: "192.0.2.10" }),
  scope: z.string().min(1).max(32).optional().openapi({ param: { name: "scope", in: "query" }, example: "Ip" }),
  type: z.string().min(1).max(32).optional().openapi({ param: { name: "type", in: "query" }, example: "ban" }),
});

export const CrowdSecDecisionSchema = z
  .object({
    id: z.number().int().openapi({ description: "The Local API's id (`cscli decisions delete --id`); with `agent`, what names the decision" }),
    origin: z.string().openapi({ example: "crowdsec" }),
    scope: z.string().openapi({ description: "`Ip` or `Range`: what agents enforce", example: "Ip" }),
    value: z.string().openapi({ description: "An address (`Ip`) or a CIDR (`Range`)", example: "192.0.2.10" }),
    type: z.string().openapi({ example: "ban" }),
    scenario: z.string().openapi({ example: "crowdsecurity/http-probing" }),
    duration: z.string().openapi({ description: "Time left when the agent received the decision, as the Local API wrote it", example: "3h59m57.33s" }),
    until: z.string().openapi({ description: "When the decision ends (ISO 8601 UTC); a decision is listed until then" }),
    agent: z.string().openapi({ description: "The agent whose proxy enforces it (its last report lists it)" }),
  })
  .openapi("CrowdSecDecision");

export const DecisionListSchema = z.array(CrowdSecDecisionSchema).openapi("CrowdSecDecisionList");
