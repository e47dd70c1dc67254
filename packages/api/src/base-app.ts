import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { PayloadTooLargeError } from "@charon/core/errors";
import type { AppEnv } from "./env.js";
import { errorResponder, methodNotAllowed, notFoundResponder } from "./errors.js";
import type { Logger } from "./logger.js";
import { healthRoutes } from "./routes/health.js";
import { clientAddress } from "./middleware/client-address.js";
import { jsonBody } from "./middleware/json-body.js";
import { requestId } from "./middleware/request-id.js";

export interface BaseAppOptions {
  logger: Logger;
  /** Reverse proxies in front of the Node server whose X-Forwarded-For is believed (CHARON_TRUSTED_PROXIES). */
  trustedProxies?: readonly string[];
}

/** Request bodies larger than this are refused before parsing (413). */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * What every request goes through before its route, whichever app serves it: the request id, the
 * client address, the body limit and decoding, 405s, and the one error responder and 404.
 */
export function createBaseApp({ logger, trustedProxies }: BaseAppOptions) {
  const app = new OpenAPIHono<AppEnv>();
  app.use("*", requestId());
  // Answers depend on the caller's token or session: no cache may keep one, least of all
  // CloudFront in front of the console (SST's Router keys its cache on neither Authorization nor cookies).
  app.use("*", async (c, next) => {
    await next();
    if (!c.res.headers.has("Cache-Control")) c.header("Cache-Control", "no-store");
  });
  app.use("*", clientAddress(trustedProxies));
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new PayloadTooLargeError(MAX_BODY_BYTES);
      },
    }),
  );
  app.use("*", jsonBody());
  app.use("*", methodNotAllowed(() => app.routes));
  app.onError(errorResponder(logger));
  app.notFound(notFoundResponder);
  return app;
}

/**
 * The routes that need no services (the health check) on the base app: what a cold Lambda answers
 * without loading the route groups, their schemas and the AWS SDK (lambda-app.ts). `createApp`
 * serves the same routes at the same paths.
 */
export function createPublicApp(options: BaseAppOptions) {
  return createBaseApp(options).route("/api", healthRoutes());
}
