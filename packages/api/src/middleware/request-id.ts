import { randomBytes } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.js";

/** Gives every request an id, echoed in `X-Request-Id` and in error bodies as `request_id`. */
export function requestId(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const id = `req_${randomBytes(8).toString("hex")}`;
    c.set("requestId", id);
    c.header("X-Request-Id", id);
    await next();
  };
}
