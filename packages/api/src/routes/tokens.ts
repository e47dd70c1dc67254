import type { ApiToken, Scopes, TokenService } from "@charon/core";
import { actorOf } from "../actor.js";
import { protectedRoute, routeGroup } from "../routing.js";
import { DeletedSchema, IdParamsSchema, acceptingReadOnlyUnion, jsonBody, jsonResponse } from "../schemas/common.js";
import { TOKEN_CREATE_VARIANTS, TokenCreatedSchema, TokenListSchema } from "../schemas/tokens.js";

export function tokenRoutes(tokens: TokenService) {
  const tags = ["API tokens"];
  const list = protectedRoute(tokens, { resource: "tokens", access: "read" }, {
    method: "get",
    path: "/v1/tokens",
    summary: "List API tokens (metadata only, never values)",
    tags,
    responses: { 200: jsonResponse(TokenListSchema, "The tokens") },
  });
  const create = protectedRoute(tokens, { resource: "tokens", access: "write" }, {
    method: "post",
    path: "/v1/tokens",
    summary: "Create an API token; its value is returned once, in this response",
    description: "A token can never grant more than the token that creates it (403).",
    tags,
    request: {
      body: jsonBody(
        acceptingReadOnlyUnion("permission", TOKEN_CREATE_VARIANTS, ["id", "created_at", "last_used_at", "created_by"], "TokenCreate", (given) =>
          `Invalid option: expected one of 'read', 'full', 'scoped' (got ${JSON.stringify(given)})`,
        ),
      ),
    },
    responses: { 201: jsonResponse(TokenCreatedSchema, "The new token, with its value") },
  });
  const revoke = protectedRoute(tokens, { resource: "tokens", access: "write" }, {
    method: "delete",
    path: "/v1/tokens/{id}",
    summary: "Revoke an API token at once",
    tags,
    request: { params: IdParamsSchema },
    responses: { 200: jsonResponse(DeletedSchema, "Revoked") },
  });

  return routeGroup()
    .openapi(list, async (c) => c.json((await tokens.list()).map(tokenView), 200))
    .openapi(create, async (c) => {
      const body = c.req.valid("json");
      const issued = await tokens.create(c.get("principal"), actorOf(c), {
        name: body.name,
        permission: body.permission,
        scopes: body.scopes as Scopes,
        expiresAt: body.expires_at === null ? null : new Date(body.expires_at).toISOString(),
      });
      return c.json({ ...tokenView(issued.token), token: issued.value }, 201);
    })
    .openapi(revoke, async (c) => {
      const { id } = c.req.valid("param");
      await tokens.revoke(c.get("principal"), actorOf(c), id);
      return c.json({ id, deleted: true as const }, 200);
    });
}

function tokenView(token: ApiToken) {
  return {
    id: token.id,
    name: token.name,
    permission: token.permission,
    scopes: token.scopes,
    created_at: token.createdAt,
    last_used_at: token.lastUsedAt,
    expires_at: token.expiresAt,
    created_by: token.createdBy,
  };
}
