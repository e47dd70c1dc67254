import { z } from "@hono/zod-openapi";
import { singleLine } from "./strings.js";
import { resourceTypes } from "@charon/core";

const access = z.enum(["read", "write"]);
const scopeShape = Object.fromEntries(resourceTypes.map((r) => [r, access.optional()])) as Record<
  (typeof resourceTypes)[number],
  z.ZodOptional<typeof access>
>;

const ScopesSchema = z
  .strictObject(scopeShape)
  .openapi("TokenScopes", { example: { proxy_hosts: "write", certificates: "read" } });

const timestamp = z.iso.datetime({ offset: true });

export const TokenCreateSchema = z
  .strictObject({
    name: singleLine(100).trim().min(1).openapi({ example: "ci" }),
    permission: z.enum(["read", "full", "scoped"]),
    scopes: ScopesSchema.default({}),
    expires_at: timestamp.nullable().default(null).openapi({ example: null }),
  })
  .openapi("TokenCreate");

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
