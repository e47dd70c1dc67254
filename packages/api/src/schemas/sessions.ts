import { z } from "@hono/zod-openapi";
import { TokenSchema } from "./tokens.js";

export const SessionCreateSchema = z
  .strictObject({
    token: z
      .string()
      // What a bearer header can carry: visible ASCII, no spaces (so no control characters either).
      .regex(/^[!-~]{1,512}$/, "must be an API token: 1 to 512 visible ASCII characters, no spaces")
      .openapi({ description: "An API token's value (`chrn_…`); exchanged, never stored", example: "chrn_…" }),
  })
  .openapi("SessionCreate");

export const SessionSchema = z
  .object({
    csrf_token: z.string().openapi({
      description: "Send it as `X-CSRF-Token` with every request of this session that is not GET or HEAD",
    }),
    expires_at: z.string().openapi({ description: "When the session ends (ISO 8601): the session lifetime after sign-in, or the token's expiry if sooner" }),
    token: TokenSchema.pick({ id: true, name: true, permission: true, scopes: true, expires_at: true }).openapi({
      description: "The token behind the session: what the session may do",
    }),
  })
  .openapi("Session");
