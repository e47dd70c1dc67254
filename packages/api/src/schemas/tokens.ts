import { z } from "@hono/zod-openapi";
import { singleLine } from "./strings.js";
import { resourceTypes, type Scopes } from "@charon/core";

const access = z.enum(["read", "write"]);
const scopeShape = Object.fromEntries(resourceTypes.map((r) => [r, access.optional()])) as Record<
  (typeof resourceTypes)[number],
  z.ZodOptional<typeof access>
>;

const ScopesSchema = z
  .strictObject(scopeShape)
  .openapi("TokenScopes", { example: { proxy_hosts: "write", certificates: "read" } });

const timestamp = z.iso.datetime({ offset: true });

const tokenName = singleLine(100).trim().min(1).openapi({ example: "ci" });
const expiresAt = timestamp.nullable().default(null).openapi({ example: null, description: "Must be in the future; null: never expires" });

/** `permission: "read"` or `"full"`: every resource type, so `scopes` is absent or empty. */
const unscoped = (permission: "read" | "full") =>
  z.strictObject({
    name: tokenName,
    permission: z.literal(permission),
    scopes: z
      .record(z.string(), z.unknown())
      .refine((scopes) => Object.keys(scopes).length === 0, `only scoped tokens have scopes (permission is '${permission}')`)
      .optional()
      .transform((): Scopes => ({}))
      .openapi({ type: "object", maxProperties: 0, description: "Only scoped tokens have scopes: absent or empty" }),
    expires_at: expiresAt,
  });

/**
 * A token request, one shape per `permission` (`oneOf` with a discriminator in the document), so
 * that the document says what the server enforces: scopes go with `"scoped"` only, and a scoped
 * token names at least one resource type.
 */
export const TOKEN_CREATE_VARIANTS = {
  TokenCreateRead: unscoped("read"),
  TokenCreateFull: unscoped("full"),
  TokenCreateScoped: z.strictObject({
    name: tokenName,
    permission: z.literal("scoped"),
    scopes: ScopesSchema.refine((scopes) => Object.keys(scopes).length > 0, "a scoped token needs at least one resource type").openapi({
      minProperties: 1,
    }),
    expires_at: expiresAt,
  }),
};

export const TokenSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    permission: z.enum(["read", "full", "scoped"]),
    scopes: ScopesSchema,
    created_at: z.string(),
    last_used_at: z.string().nullable(),
    expires_at: z.string().nullable(),
    created_by: z.string(),
  })
  .openapi("Token");

export const TokenCreatedSchema = TokenSchema.extend({
  token: z.string().openapi({ description: "The token value; shown only in this response", example: "chrn_…" }),
}).openapi("TokenCreated");

export const TokenListSchema = z.array(TokenSchema).openapi("TokenList");
