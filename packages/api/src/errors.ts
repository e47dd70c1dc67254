import { CharonError, RateLimitedError, ServiceUnavailableError } from "@charon/core";
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

/**
 * No route answers the request. A path some route declares, asked with a method none declares, is
 * a 405 with `Allow` listing the methods it has (RFC 9110 §15.5.6); any other path is a 404.
 * `routes` is the app's route table (`app.routes`), read on the first request.
 */
export function notFoundResponder(routes: () => ReadonlyArray<{ method: string; path: string }>) {
  const allowed = allowedMethods(routes);
  return (c: Context<AppEnv>) => {
    const methods = allowed(c.req.path, false);
    if (methods.length > 0) return methodNotAllowed(c, methods);
    return c.json(
      {
        error: "Not found",
        message: `No route for ${c.req.method} ${c.req.path}`,
        request_id: c.get("requestId"),
      },
      404,
    );
  };
}

/**
 * A method a fixed path (`/api/v1/dns-providers/types`) does not declare is a 405 even where a
 * route with a parameter in its place (`…/{id}`) would take it: the document lists the fixed path
 * with its own methods, and `types` is no id.
 */
export function fixedPathMethods(routes: () => ReadonlyArray<{ method: string; path: string }>): MiddlewareHandler<AppEnv> {
  const allowed = allowedMethods(routes);
  return async (c, next) => {
    const methods = allowed(c.req.path, true);
    const method = c.req.method === "HEAD" ? "GET" : c.req.method;
    if (methods.length > 0 && !methods.includes(method)) return methodNotAllowed(c, methods);
    await next();
  };
}

function methodNotAllowed(c: Context<AppEnv>, methods: readonly string[]) {
  c.header("Allow", methods.join(", "));
  return c.json(
    {
      error: "Method not allowed",
      message: `${c.req.method} is not allowed on ${c.req.path}; allowed: ${methods.join(", ")}`,
      request_id: c.get("requestId"),
    },
    405,
  );
}

/** The methods routes declare for a path: every route whose pattern matches, or (`fixedOnly`) the routes without parameters. */
function allowedMethods(routes: () => ReadonlyArray<{ method: string; path: string }>) {
  let table: Array<{ method: string; path: string; pattern: RegExp | undefined }> | undefined;
  return (path: string, fixedOnly: boolean): string[] => {
    table ??= routes()
      .filter((route) => route.method !== "ALL")
      .map((route) => ({
        method: route.method,
        path: route.path,
        // Hono's `:name` (zod-openapi's `{name}`) is one path segment.
        pattern: route.path.includes(":")
          ? new RegExp(`^${route.path.split("/").map((part) => (part.startsWith(":") ? "[^/]+" : escape(part))).join("/")}$`)
          : undefined,
      }));
    const matching = table.filter((route) => (route.pattern ? !fixedOnly && route.pattern.test(path) : route.path === path));
    return [...new Set(matching.map((route) => route.method))];
  };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
