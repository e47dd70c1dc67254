import type { AgentService, TokenService } from "@charon/core";
import { protectedRoute, routeGroup } from "../routing.js";
import { jsonBody, jsonResponse } from "../schemas/common.js";
import { AgentReportSchema, AgentSnapshotSchema, AgentStatusListSchema, StoredAgentReportSchema } from "../schemas/agents.js";

/** The proxy agents' side of the API (issue 11): desired state in, applied state back. */
export function agentRoutes(tokens: TokenService, agents: AgentService) {
  const tags = ["Agents"];
  const etag = { ETag: { description: "The snapshot's strong ETag: send it back in `If-None-Match`", schema: { type: "string" as const } } };
  const snapshot = protectedRoute(tokens, { resource: "agents", access: "read" }, {
    method: "get",
    path: "/v1/agent/snapshot",
    summary: "The desired state for the proxy agents: every proxy host and the certificates in service, in one consistent snapshot",
    description:
      "Answered with a strong `ETag`. A request whose `If-None-Match` names the current ETag (or `*`) gets 304 without a body: an agent's poll when nothing changed.",
    tags,
    request: {},
    responses: {
      200: { ...jsonResponse(AgentSnapshotSchema, "The snapshot"), headers: etag },
      304: { description: "Unchanged since the ETag in `If-None-Match`", headers: etag },
    },
  });
  const report = protectedRoute(tokens, { resource: "agents", access: "write" }, {
    method: "post",
    path: "/v1/agent/reports",
    summary: "An agent's heartbeat: what it applied, per host, and the proxy's errors",
    description: "Replaces the agent's previous report. Not an audited change: it reports the edge's state, it changes no setting.",
    tags,
    request: { body: jsonBody(AgentReportSchema) },
    responses: { 200: jsonResponse(StoredAgentReportSchema, "The report as stored") },
  });
  const list = protectedRoute(tokens, { resource: "agents", access: "read" }, {
    method: "get",
    path: "/v1/agents",
    summary: "Every agent's last report beside the snapshot it should have applied",
    tags,
    responses: { 200: jsonResponse(AgentStatusListSchema, "Agents by id") },
  });
  return routeGroup()
    .openapi(snapshot, async (c) => {
      const { snapshot: body, etag: tag } = await agents.snapshot();
      if (matches(c.req.header("If-None-Match"), tag)) return c.body(null, 304, { ETag: tag });
      return c.json(body, 200, { ETag: tag });
    })
    .openapi(report, async (c) => c.json(await agents.report(c.get("principal"), c.req.valid("json")), 200))
    .openapi(list, async (c) => c.json(await agents.list(), 200));
}

/** RFC 9110 §13.1.2: `*`, or a list of entity tags compared weakly (a `W/` prefix is ignored). */
function matches(header: string | undefined, tag: string): boolean {
  if (header === undefined) return false;
  const strip = (t: string) => t.trim().replace(/^W\//, "");
  return header.split(",").some((candidate) => candidate.trim() === "*" || strip(candidate) === tag);
}
