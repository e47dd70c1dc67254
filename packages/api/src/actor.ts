import type { Actor } from "@charon/core";
import type { Context } from "hono";
import type { AppEnv } from "./env.js";

/**
 * The client's address as the platform saw it: API Gateway's `sourceIp` under Lambda, the
 * socket's peer under Node. Never a request header, which any client could set.
 */
export function clientAddress(c: Context<AppEnv>): string | null {
  const env = c.env as
    | {
        event?: { requestContext?: { http?: { sourceIp?: string }; identity?: { sourceIp?: string } } };
        incoming?: { socket?: { remoteAddress?: string } };
      }
    | undefined;
  const context = env?.event?.requestContext;
  return (
    context?.http?.sourceIp ?? context?.identity?.sourceIp ?? env?.incoming?.socket?.remoteAddress ?? null
  );
}

/** Who is acting, for audit entries: the authenticated token and the client's address. */
export function actorOf(c: Context<AppEnv>): Actor {
  const principal = c.get("principal");
  return { user: `${principal.name} (token ${principal.tokenId})`, ipAddress: clientAddress(c), via: "api" };
}
