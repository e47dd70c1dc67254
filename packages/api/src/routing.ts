import { OpenAPIHono, createRoute, z, type RouteConfig } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import type { Access, ResourceType, TokenService } from "@charon/core";
import type { AppEnv } from "./env.js";
import { authorize } from "./middleware/authorize.js";
import { standardErrorResponses } from "./schemas/error.js";
import { validationErrorFrom } from "./validation.js";

/**
 * A permission a request needs beyond its route's own, when its body asks for another resource
 * type's work (a side door must check the permission of the door it bypasses: a proxy host with
 * `certificate_id: "new"` creates a certificate, so it needs `certificates` write too).
 */
export interface BodyAccess {
  resource: ResourceType;
  access: Access;
  /** When it applies, in the document's words (`certificate_id is "new"`). */
  when: string;
  /** The same rule on the JSON body as sent (it is checked before validation, like the route's own). */
  applies: (body: Record<string, unknown>) => boolean;
}

/** The permission a route needs, recorded in the OpenAPI document as `x-charon-access`. */
export interface RouteAccess {
  resource: ResourceType;
  access: Access;
  /** What a 403 calls the thing, when the resource type's name is not the user's word for it. */
  subject?: string;
  /** Permissions some bodies need on top (403 naming the missing one; nothing is done). */
  requires?: readonly BodyAccess[];
  /**
   * Other resource types whose objects the answer embeds: shown in full only to tokens that may
   * read that type, otherwise by id only (`packages/core/src/access/embedded.ts`).
   */
  embeds?: readonly ResourceType[];
}

/** `x-charon-access` as the document shows it: the declaration without its predicates. */
function documented({ resource, access, subject, requires, embeds }: RouteAccess) {
  return {
    resource,
    access,
    ...(subject === undefined ? {} : { subject }),
    ...(requires === undefined ? {} : { requires: requires.map(({ resource: r, access: a, when }) => ({ resource: r, access: a, when })) }),
    ...(embeds === undefined ? {} : { embeds: [...embeds] }),
  };
}

const noQuery = z.object({}).strict();

/**
 * On a route that takes no query parameter, any is a 400 as on the lists (`Unknown query parameter
 * 'limt'`): a misspelt option is never silently ignored.
 */
export const noQueryParameters = createMiddleware<AppEnv>(async (c, next) => {
  const parsed = noQuery.safeParse(c.req.query());
  if (!parsed.success) throw validationErrorFrom(parsed.error, "query");
  await next();
});

/**
 * How a protected route may be called (`security` in the document): an API token, or the console's
 * session cookie in its place (app.ts registers both schemes; the cookie's CSRF rule is in its
 * scheme's description).
 */
export const PROTECTED_SECURITY: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { sessionCookie: [] }];

/**
 * Declares a protected route once: its schemas (validation, types, OpenAPI), the bearer or
 * session-cookie security requirement, the standard error responses, and the permission check. The
 * authorisation matrix test reads `x-charon-access` back from the OpenAPI document.
 */
export function protectedRoute<const R extends Omit<RouteConfig, "security" | "middleware">>(
  tokens: TokenService,
  access: RouteAccess,
  config: R,
) {
  return createRoute({
    ...config,
    security: PROTECTED_SECURITY,
    "x-charon-access": documented(access),
    middleware: config.request?.query ? ([authorize(tokens, access)] as const) : ([authorize(tokens, access), noQueryParameters] as const),
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
