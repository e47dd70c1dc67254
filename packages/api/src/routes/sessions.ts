import { createRoute } from "@hono/zod-openapi";
import type { ActiveSession, TokenService } from "@charon/core";
import { noQueryParameters, routeGroup } from "../routing.js";
import { jsonBody, jsonResponse } from "../schemas/common.js";
import { standardErrorResponses } from "../schemas/error.js";
import { SessionCreateSchema, SessionSchema } from "../schemas/sessions.js";
import { requireSameOrigin } from "../middleware/csrf.js";
import { clearSessionCookie, requireSession, setSessionCookie, SESSION_COOKIE } from "../middleware/session-cookie.js";

const tags = ["Sessions"];
const sessionErrors = (() => {
  const { 400: invalid, 401: unauthorized, 403: forbidden, 429: limited, 431: tooLarge, 500: failed, 503: unavailable } = standardErrorResponses;
  return { 400: invalid, 401: unauthorized, 403: forbidden, 429: limited, 431: tooLarge, 500: failed, 503: unavailable };
})();
const setCookieHeader = {
  "Set-Cookie": {
    description: `\`${SESSION_COOKIE}=…; HttpOnly; Secure; SameSite=Strict; Path=/api; Max-Age=…\``,
    schema: { type: "string" as const },
  },
};

/**
 * The console's sign-in (docs/decisions/0024-console-sessions.md): an API token exchanged for a session cookie, the
 * session read back (a reloaded page recovers its CSRF token), and signing out.
 */
export function sessionRoutes(tokens: TokenService) {
  const open = createRoute({
    method: "post",
    path: "/v1/sessions",
    summary: "Sign in: exchange an API token for a session cookie",
    description:
      `Needs no Authorization header: the body carries the token. Sets the HttpOnly cookie \`${SESSION_COOKIE}\`, which then ` +
      "stands in for `Authorization: Bearer` with exactly the token's permission and scopes, until the session's `expires_at` " +
      "(8 hours unless configured, never beyond the token's expiry) or until the token is revoked. A bad, expired or revoked " +
      "token is a 401, counted with other failed authentications (429). A browser request from another origin is a 403.",
    tags,
    security: [],
    "x-charon-access": "public",
    middleware: [noQueryParameters] as const,
    request: { body: jsonBody(SessionCreateSchema) },
    responses: {
      ...sessionErrors,
      413: standardErrorResponses[413],
      415: standardErrorResponses[415],
      201: { ...jsonResponse(SessionSchema, "The session; the cookie is set"), headers: setCookieHeader },
    },
  });
  const current = createRoute({
    method: "get",
    path: "/v1/sessions/current",
    summary: "The session the cookie names, with its CSRF token and its token's rights",
    tags,
    security: [{ sessionCookie: [] }],
    "x-charon-access": "session",
    middleware: [requireSession(tokens), noQueryParameters] as const,
    responses: { ...sessionErrors, 200: jsonResponse(SessionSchema, "The session") },
  });
  const close = createRoute({
    method: "delete",
    path: "/v1/sessions/current",
    summary: "Sign out: end the session and clear its cookie",
    description: "Needs the session's `X-CSRF-Token`, like every cookie request that changes something.",
    tags,
    security: [{ sessionCookie: [] }],
    "x-charon-access": "session",
    middleware: [requireSession(tokens), noQueryParameters] as const,
    responses: { ...sessionErrors, 204: { description: "Signed out; the cookie is cleared", headers: setCookieHeader } },
  });

  return routeGroup()
    .openapi(open, async (c) => {
      requireSameOrigin(c);
      const opened = await tokens.openSession(c.req.valid("json").token, c.get("clientAddress"));
      setSessionCookie(c, opened);
      return c.json(sessionView(opened), 201);
    })
    .openapi(current, (c) => c.json(sessionView(c.get("session")), 200))
    .openapi(close, async (c) => {
      await tokens.closeSession(c.get("session").session);
      clearSessionCookie(c);
      return c.body(null, 204);
    });
}

function sessionView({ session, token }: ActiveSession) {
  return {
    csrf_token: session.csrfToken,
    expires_at: session.expiresAt,
    token: { id: token.id, name: token.name, permission: token.permission, scopes: token.scopes, expires_at: token.expiresAt },
  };
}
