import {
  ForbiddenError,
  UnauthorizedError,
  allows,
  forbiddenMessage,
  type Access,
  type ResourceType,
  type TokenService,
} from "@charon/core";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.js";

/**
 * Authenticates the bearer token and checks that it may `access` the `resource`; routes get it
 * from their declaration (routing.ts), never by hand.
 */
export function authorize(
  tokens: TokenService,
  resource: ResourceType,
  access: Access,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("Authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw new UnauthorizedError();
    const principal = await tokens.authenticate(match[1]);
    if (!allows(principal, resource, access)) {
      throw new ForbiddenError(forbiddenMessage(resource, access));
    }
    c.set("principal", principal);
    await next();
  };
}
