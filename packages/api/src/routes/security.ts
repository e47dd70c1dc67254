import { wafStatusFor, type SecurityService, type TokenService } from "@charon/core";
import { protectedRoute, routeGroup } from "../routing.js";
import { PAGE_DESCRIPTION, jsonResponse, nextPageHeaders, pageResponse } from "../schemas/common.js";
import { DecisionListSchema, DecisionQuerySchema, WafStatusSchema } from "../schemas/security.js";

export function securityRoutes(tokens: TokenService, security: SecurityService) {
  const tags = ["Security"];
  const read = { resource: "security", access: "read" } as const;
  // The WAF status lists hosts: their names only for tokens that may read proxy hosts.
  const waf = protectedRoute(tokens, { ...read, embeds: ["proxy_hosts"] }, {
    method: "get",
    path: "/security/waf",
    summary: "WAF status: the global switch, host counts by mode and the hosts in each",
    tags,
    responses: { 200: jsonResponse(WafStatusSchema, "WAF status") },
  });
  const decisions = protectedRoute(tokens, read, {
    method: "get",
    path: "/security/crowdsec/decisions",
    summary: "Active CrowdSec decisions reported by the proxy agents",
    description:
      "The bans each agent's proxy enforces, as its last report (`POST /api/v1/agent/reports`, `crowdsec`) gave them: a report replaces that agent's decisions, and one decision enforced by two agents is listed once per agent. " +
      "A decision is listed until its `until`, even when its agent stops reporting. " +
      "`ip` returns that address's Ip decisions and the Range decisions containing it, all at once. " +
      `Without it: ${PAGE_DESCRIPTION} Expired and filtered-out decisions are left out of a page, so a page can hold fewer than \`limit\`, even none, with more to follow.`,
    tags,
    request: { query: DecisionQuerySchema },
    responses: { 200: pageResponse(DecisionListSchema, "Active decisions, lowest id first (then by agent)") },
  });
  return routeGroup()
    .openapi(waf, async (c) => c.json(wafStatusFor(c.get("principal"), await security.waf()), 200))
    .openapi(decisions, async (c) => {
      const { limit, cursor, ...filter } = c.req.valid("query");
      const page = await security.crowdSecDecisions(filter, { limit, cursor });
      return c.json(page.items, 200, nextPageHeaders(page.cursor));
    });
}
