import { OpenAPIHono, createRoute, type RouteConfig } from "@hono/zod-openapi";
import type { Access, ResourceType, TokenService } from "@charon/core";
import type { AppEnv } from "./env.js";
import { authorize } from "./middleware/authorize.js";
import { standardErrorResponses } from "./schemas/error.js";
import { validationErrorFrom } from "./validation.js";

/** The permission a route needs, recorded in the OpenAPI document as `x-charon-access`. */
export interface RouteAccess {
  resource: ResourceType;
  access: Access;
  /** What a 403 calls the thing, when the resource type's name is not the user's word for it. */
  subject?: string;
}

/**
 * Declares a protected route once: its schemas (validation, types, OpenAPI), the bearer
 * security requirement, the standard error responses, and the permission check. The
 * authorisation matrix test reads `x-charon-access` back from the OpenAPI document.
 */
export function protectedRoute<const R extends Omit<RouteConfig, "security" | "middleware">>(
  tokens: TokenService,
  access: RouteAccess,
  config: R,
) {
  return createRoute({
    ...config,
    security: [{ bearerAuth: [] }],
    "x-charon-access": access,
    middleware: [authorize(tokens, access)] as const,
    responses: { ...standardErrorResponses, ...config.responses },
  });
}

/**
 * A group of routes (one per resource). Validation failures become the conventions' 400 here:
 * Hono's `defaultHook` belongs to the instance a route is declared on, not the app it joins.
 */
export function routeGroup() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationErrorFrom(result.error, result.target);
      return undefined;
    },
  });
}
