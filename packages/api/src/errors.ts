import { CharonError, RateLimitedError, ServiceUnavailableError } from "@charon/core";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "./env.js";
import type { Logger } from "./logger.js";

/**
 * The one place that turns a thrown error into a response. Domain errors carry their status;
 * Hono's own (malformed JSON, body too large) keep theirs; anything else is a bug: logged with
 * its stack, answered with a generic 500 that never echoes the error.
 */
export function errorResponder(logger: Logger) {
  return (error: Error, c: Context<AppEnv>) => {
    const requestId = c.get("requestId");
    // The client disconnected and the work stopped with it (AbortSignal): nobody reads an answer.
    if (c.req.raw.signal.aborted) {
      logger.info("the client went away before the answer", { requestId });
      return c.body(null, 499 as ContentfulStatusCode);
    }
    if (error instanceof CharonError) {
      if (error instanceof RateLimitedError) c.header("Retry-After", String(error.retryAfterSeconds));
      if (error instanceof ServiceUnavailableError) {
        c.header("Retry-After", "2");
        logger.warn("a dependency did not answer", { requestId, error: error.message, cause: String(error.cause) });
      }
      return c.json(
        { error: error.title, message: error.message, ...error.extra, request_id: requestId },
        error.status as ContentfulStatusCode,
      );
    }
    if (error instanceof HTTPException && error.status < 500) {
      const message =
        error.status === 415 ? "The body must be JSON, sent with Content-Type: application/json" : error.message || "The request could not be read";
      return c.json(
        { error: "Invalid request", message, details: message, request_id: requestId },
        error.status,
      );
    }
    logger.error("unhandled error", { requestId, error });
    return c.json(
      {
        error: "Internal server error",
        message: "An unexpected error occurred. Please contact support.",
        request_id: requestId,
      },
      500,
    );
  };
}

export function notFoundResponder(c: Context<AppEnv>) {
  return c.json(
    {
      error: "Not found",
      message: `No route for ${c.req.method} ${c.req.path}`,
      request_id: c.get("requestId"),
    },
    404,
  );
}
