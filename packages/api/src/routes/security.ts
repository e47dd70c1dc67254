import type { SecurityService, TokenService } from "@charon/core";
import { protectedRoute, routeGroup } from "../routing.js";
import { jsonResponse } from "../schemas/common.js";
import { DecisionListSchema, DecisionQuerySchema, WafStatusSchema } from "../schemas/security.js";

export function securityRoutes(tokens: TokenService, security: SecurityService) {
  const tags = ["Security"];
  const read = { resource: "security", access: "read" } as const;
  const waf = protectedRoute(tokens, read, {
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
    description: "`ip` returns that address's Ip decisions and the Range decisions containing it.",
    tags,
    request: { query: DecisionQuerySchema },
    responses: { 200: jsonResponse(DecisionListSchema, "The decisions, by id") },
  });
  return routeGroup()
    .openapi(waf, async (c) => c.json(await security.waf(), 200))
    .openapi(decisions, async (c) => c.json(await security.crowdSecDecisions(c.req.valid("query")), 200));
}
