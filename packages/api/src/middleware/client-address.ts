import { canonicalAddress } from "@charon/core/addresses";
import type { MiddlewareHandler } from "hono";
import { isIP } from "node:net";
import type { AppEnv } from "../env.js";

/**
 * Finds the client's address once per request, for audit entries and the per-address limit on
 * failed authentications. It is the address the platform saw — API Gateway's `sourceIp` under
 * Lambda, the socket's peer under Node — unless that peer is one of `trustedProxies` (a reverse
 * proxy in front of `npm start`): then `X-Forwarded-For` is read from the right, past the
 * trusted proxies, as nginx's real_ip_recursive does. Anyone can write that header, so it is
 * never read for a peer that is not trusted.
 */
export function clientAddress(trustedProxies: readonly string[] = []): MiddlewareHandler<AppEnv> {
  const trusted = new Set(trustedProxies.map(canonicalAddress));
  return async (c, next) => {
    let address = platformAddress(c.env);
    if (address !== null && trusted.has(canonicalAddress(address))) {
      const forwarded = (c.req.header("X-Forwarded-For") ?? "").split(",").map((hop) => hop.trim());
      while (forwarded.length > 0 && trusted.has(canonicalAddress(address))) {
        const hop = forwarded.pop() ?? "";
        if (isIP(hop) === 0) break; // a malformed hop: keep the last address that was sound
        address = hop;
      }
    }
    c.set("clientAddress", address === null ? null : canonicalAddress(address));
    await next();
  };
}

function platformAddress(env: unknown): string | null {
  const platform = env as
    | {
        event?: { requestContext?: { http?: { sourceIp?: string }; identity?: { sourceIp?: string } } };
        incoming?: { socket?: { remoteAddress?: string } };
      }
    | undefined;
  const context = platform?.event?.requestContext;
  return context?.http?.sourceIp ?? context?.identity?.sourceIp ?? platform?.incoming?.socket?.remoteAddress ?? null;
}
