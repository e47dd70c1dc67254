import { ForbiddenError, allows, forbiddenMessage, type TokenService } from "@charon/core";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.js";
import type { RouteAccess } from "../routing.js";

/**
 * Authenticates the bearer token (401 when missing or invalid, 429 after repeated failures from
 * the client's address) and checks the route's access; routes get it from their
 * declaration (routing.ts), never by hand.
 */
export function authorize(
  tokens: TokenService,
  { resource, access, subject }: RouteAccess,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("Authorization") ?? "";
    const value = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    const principal = await tokens.authenticate(value, c.get("clientAddress"));
    if (!allows(principal, resource, access)) {
      throw new ForbiddenError(forbiddenMessage(subject ?? resource.replace("_", " "), access));
    }
    c.set("principal", principal);
    await next();
  };
}
