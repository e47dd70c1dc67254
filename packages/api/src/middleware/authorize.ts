import {
  ForbiddenError,
  allows,
  forbiddenMessage,
  type Access,
  type ResourceType,
  type TokenService,
} from "@charon/core";
import type { MiddlewareHandler } from "hono";
import { clientAddress } from "../actor.js";
import type { AppEnv } from "../env.js";

/**
 * Authenticates the bearer token (401 when missing or invalid, 429 after repeated failures from
 * the client's address) and checks that it may `access` the `resource`; routes get it from their
 * declaration (routing.ts), never by hand.
 */
export function authorize(
  tokens: TokenService,
  resource: ResourceType,
  access: Access,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("Authorization") ?? "";
    const value = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    const principal = await tokens.authenticate(value, clientAddress(c));
    if (!allows(principal, resource, access)) {
      throw new ForbiddenError(forbiddenMessage(resource, access));
    }
    c.set("principal", principal);
    await next();
  };
}
