import { CharonError, RateLimitedError, ServiceUnavailableError } from "@charon/core/errors";
import type { Context, MiddlewareHandler } from "hono";
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

/**
 * A path some route declares, asked with a method it does not declare, is a 405 with `Allow`
 * listing the methods it has (RFC 9110 §15.5.6), before any route with a parameter in a fixed
 * segment's place takes it: `PUT …/dns-providers/types` is not `PUT …/{id}` with id "types", and
 * `PATCH …/credentials/test` not `PATCH …/credentials/{credentialId}`. The path's methods are those
 * of its most specific matching routes (most fixed segments). `routes` is `app.routes`, read once.
 */
export function methodNotAllowed(routes: () => ReadonlyArray<{ method: string; path: string }>): MiddlewareHandler<AppEnv> {
  let table: Array<{ method: string; pattern: RegExp; fixed: number }> | undefined;
  return async (c, next) => {
    table ??= routes()
      .filter((route) => route.method !== "ALL")
      .map((route) => {
        const parts = route.path.split("/");
        return {
          method: route.method,
          // Hono's `:name` (zod-openapi's `{name}`) is one path segment.
          pattern: new RegExp(`^${parts.map((part) => (part.startsWith(":") ? "[^/]+" : escape(part))).join("/")}$`),
          fixed: parts.filter((part) => !part.startsWith(":")).length,
        };
      });
    const matching = table.filter(({ pattern }) => pattern.test(c.req.path));
    const specific = Math.max(...matching.map(({ fixed }) => fixed));
    const methods = [...new Set(matching.filter(({ fixed }) => fixed === specific).map(({ method }) => method))];
    const method = c.req.method === "HEAD" ? "GET" : c.req.method;
    if (methods.length === 0 || methods.includes(method)) return next();
    c.header("Allow", methods.join(", "));
    return c.json(
      {
        error: "Method not allowed",
        message: `${c.req.method} is not allowed on ${c.req.path}; allowed: ${methods.join(", ")}`,
        request_id: c.get("requestId"),
      },
      405,
    );
  };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
