import type { Actor } from "@charon/core";
import type { Context } from "hono";
import type { AppEnv } from "./env.js";

/** Who is acting, for audit entries: the authenticated token and the client's address. */
export function actorOf(c: Context<AppEnv>): Actor {
  const principal = c.get("principal");
  return { user: `${principal.name} (token ${principal.tokenId})`, ipAddress: c.get("clientAddress"), via: "api" };
}
