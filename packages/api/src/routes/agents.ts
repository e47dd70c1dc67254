import type { AgentService, TokenService } from "@charon/core";
import { actorOf } from "../actor.js";
import { protectedRoute, routeGroup } from "../routing.js";
import { jsonBody, jsonResponse } from "../schemas/common.js";
import {
  AgentIdParamsSchema,
  AgentKeyApprovalSchema,
  AgentKeyRegistrationSchema,
  AgentKeySchema,
  AgentReportSchema,
  AgentSnapshotQuerySchema,
  AgentSnapshotSchema,
  AgentStatusListSchema,
  StoredAgentReportSchema,
} from "../schemas/agents.js";

/** The proxy agents' side of the API (issue 11): desired state in, applied state back. */
export function agentRoutes(tokens: TokenService, agents: AgentService) {
  const tags = ["Agents"];
  const etag = { ETag: { description: "The snapshot's strong ETag: send it back in `If-None-Match`", schema: { type: "string" as const } } };
  const snapshot = protectedRoute(tokens, { resource: "agents", access: "read" }, {
    method: "get",
    path: "/v1/agent/snapshot",
    summary: "The desired state for the proxy agents: every proxy host and the certificates in service, in one consistent snapshot",
    description:
      "Answered with a strong `ETag`. A request whose `If-None-Match` names the current ETag (or `*`) gets 304 without a body: an agent's poll when nothing changed. " +
      "With `agent_id` of an agent whose key was approved, each certificate carries `private_key_jwe`: its private key sealed to that key.",
    tags,
    request: { query: AgentSnapshotQuerySchema },
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
  const registerKey = protectedRoute(tokens, { resource: "agents", access: "write" }, {
    method: "put",
    path: "/v1/agents/{agent_id}/key",
    summary: "Register the public key an agent generated (a JWK, EC P-256); private keys are sealed to it once approved",
    description:
      "`x` and `y` must be a point on P-256 (a 400 otherwise: JSON Schema cannot state it). The same key again keeps its approval; another key replaces it, unapproved, with an audit entry (`agent_key_registered`).",
    tags,
    request: { params: AgentIdParamsSchema, body: jsonBody(AgentKeyRegistrationSchema) },
    responses: { 200: jsonResponse(AgentKeySchema, "The agent's key") },
  });
  const approveKey = protectedRoute(
    tokens,
    { resource: "certificates", access: "write", subject: "certificates: approving an agent's key lets it receive private keys, so it needs certificates write" },
    {
      method: "post",
      path: "/v1/agents/{agent_id}/key/approve",
      summary: "Approve an agent's key: the snapshots it pulls then carry the private keys, sealed to it",
      description: "`thumbprint` must be the one the agent logged at start (RFC 7638): a different one is a 400. Audited (`agent_key_approved`).",
      tags,
      request: { params: AgentIdParamsSchema, body: jsonBody(AgentKeyApprovalSchema) },
      responses: { 200: jsonResponse(AgentKeySchema, "The approved key") },
    },
  );
  const list = protectedRoute(tokens, { resource: "agents", access: "read" }, {
    method: "get",
    path: "/v1/agents",
    summary: "Every agent's last report beside the snapshot it should have applied",
    tags,
    responses: { 200: jsonResponse(AgentStatusListSchema, "Agents by id") },
  });
  return routeGroup()
    .openapi(snapshot, async (c) => {
      const { etag: tag, body } = await agents.snapshot(c.req.valid("query").agent_id);
      if (matches(c.req.header("If-None-Match"), tag)) return c.body(null, 304, { ETag: tag });
      const built = await body();
      return c.json(built.snapshot, 200, { ETag: built.etag, "Cache-Control": "no-store" });
    })
    .openapi(registerKey, async (c) => c.json(await agents.registerKey(actorOf(c), c.req.valid("param").agent_id, c.req.valid("json").public_key), 200))
    .openapi(approveKey, async (c) => c.json(await agents.approveKey(actorOf(c), c.req.valid("param").agent_id, c.req.valid("json").thumbprint), 200))
    .openapi(report, async (c) => c.json(await agents.report(c.get("principal"), c.req.valid("json")), 200))
    .openapi(list, async (c) => c.json(await agents.list(), 200));
}

/** RFC 9110 §13.1.2: `*`, or a list of entity tags compared weakly (a `W/` prefix is ignored). */
function matches(header: string | undefined, tag: string): boolean {
  if (header === undefined) return false;
  const strip = (t: string) => t.trim().replace(/^W\//, "");
  return header.split(",").some((candidate) => candidate.trim() === "*" || strip(candidate) === tag);
}
