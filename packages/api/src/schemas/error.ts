import { z } from "@hono/zod-openapi";

/** Every error body (shared/spec/api-conventions.md): a title, a message, the request id, extras. */
export const ErrorSchema = z
  .object({
    error: z.string().openapi({ example: "Not found" }),
    message: z.string().openapi({ example: "Credential with ID 999 not found" }),
    details: z.string().optional(),
    request_id: z.string().openapi({ example: "req_3f2a9c1d0b7e4a55" }),
  })
  .catchall(z.unknown())
  .openapi("Error");

const errorContent = { "application/json": { schema: ErrorSchema } };

/**
 * Request headers beyond what the HTTP server reads (Node's `--max-http-header-size`, 16 KiB by
 * default; API Gateway's own limit under Lambda): the server answers before the app sees the
 * request, so without a body. Every route, the public ones too, can give it.
 */
export const HEADERS_TOO_LARGE = { description: "Request headers too large (over 16 KiB); answered by the HTTP server without a body" };

/** The error responses every protected route can give, declared once for the OpenAPI document. */
export const standardErrorResponses = {
  400: { description: "Invalid request", content: errorContent },
  401: { description: "Invalid or missing token", content: errorContent },
  403: { description: "Insufficient permissions", content: errorContent },
  404: { description: "Resource not found", content: errorContent },
  409: { description: "Conflict with stored state", content: errorContent },
  413: { description: "Request body larger than the API accepts", content: errorContent },
  415: { description: "A body that is not sent as application/json", content: errorContent },
  429: { description: "Too many requests", content: errorContent },
  431: HEADERS_TOO_LARGE,
  500: { description: "Server error", content: errorContent },
  502: { description: "A dependency outside the API (a DNS provider's API, a DNS server) failed; the message names it", content: errorContent },
  503: { description: "The data store did not answer; retry after Retry-After seconds", content: errorContent },
} as const;
