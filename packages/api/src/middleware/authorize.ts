import { ForbiddenError, allows, forbiddenMessage, type Principal, type TokenService } from "@charon/core";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.js";
import type { BodyAccess, RouteAccess } from "../routing.js";
import { authenticateRequest } from "./session-cookie.js";

/**
 * Authenticates the bearer token or the console's session cookie under its CSRF rule (401 when
 * missing or invalid, 403 for a cookie request without its CSRF token, 429 after repeated
 * failures from the client's address: session-cookie.ts), checks the route's access, then the extra access its body asks for
 * (`requires`); routes get it from their declaration (routing.ts), never by hand.
 */
export function authorize(
  tokens: TokenService,
  { resource, access, subject, requires = [] }: RouteAccess,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = await authenticateRequest(c, tokens);
    if (!allows(principal, resource, access)) {
      throw new ForbiddenError(forbiddenMessage(subject ?? resource.replace("_", " "), access));
    }
    if (requires.length > 0) await checkBodyAccess(c, principal, requires);
    c.set("principal", principal);
    await next();
  };
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

/**
 * The body as sent, read once (Hono caches it for the validator that follows). A body that is
 * not a JSON object asks for nothing: validation answers it.
 */
async function checkBodyAccess(c: Context<AppEnv>, principal: Principal, requires: readonly BodyAccess[]): Promise<void> {
  if (!JSON_TYPE.test(c.req.header("Content-Type") ?? "")) return;
  const body: unknown = await c.req.json().catch((error: unknown) => {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  });
  if (body === null || typeof body !== "object" || Array.isArray(body)) return;
  for (const rule of requires) {
    if (rule.applies(body as Record<string, unknown>) && !allows(principal, rule.resource, rule.access)) {
      throw new ForbiddenError(`${forbiddenMessage(rule.resource.replace("_", " "), rule.access)}: needed when ${rule.when}`);
    }
  }
}
