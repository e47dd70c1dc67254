import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env.js";
import { HEADERS_TOO_LARGE } from "../schemas/error.js";

const health = createRoute({
  method: "get",
  path: "/health",
  summary: "Liveness check; needs no token",
  tags: ["System"],
  "x-charon-access": "public",
  responses: {
    200: {
      description: "The service is up",
      content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } },
    },
    431: HEADERS_TOO_LARGE,
  },
});

export function healthRoutes() {
  return new OpenAPIHono<AppEnv>().openapi(health, (c) => c.json({ status: "ok" as const }, 200));
}
