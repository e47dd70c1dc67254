/**
 * Typed domain errors. Services throw these; the API's one error hook turns them into the
 * responses of shared/spec/api-conventions.md. `extra` holds fields the body carries beside
 * `error` and `message` (e.g. `conflicting_credential_id`); it must never hold a secret.
 */
export abstract class CharonError extends Error {
  abstract readonly status: number;
  constructor(
    /** Short title, the body's `error`. */
    readonly title: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** 400: the request cannot be understood as given; `details` says what to change. */
export class ValidationError extends CharonError {
  readonly status = 400;
  constructor(
    readonly details: string,
    title = "Invalid request body",
    extra: Record<string, unknown> = {},
  ) {
    super(title, details, { details, ...extra });
  }
}

/**
 * 404 with the documents' wording: "Credential with ID 999 not found". With `field`, the id came
 * in the request body ("certificate_id: Certificate with ID 99 not found"): a body valid by its
 * shape that names nothing is refused for the state, not the shape
 * (docs/decisions/0018-references-to-nothing-and-state.md).
 */
export class NotFoundError extends CharonError {
  readonly status = 404;
  constructor(resource: string, id: number | string, field?: string) {
    super("Not found", `${field === undefined ? "" : `${field}: `}${resource} with ID ${id} not found`);
  }
}

/** 409: the change would break a rule that involves other stored items. */
export class ConflictError extends CharonError {
  readonly status = 409;
  constructor(message: string, extra: Record<string, unknown> = {}, title = "Conflict") {
    super(title, message, extra);
  }
}

/** 401: no token, or one that is unknown, expired or revoked. */
export class UnauthorizedError extends CharonError {
  readonly status = 401;
  constructor(message = "Invalid or expired API token") {
    super("Unauthorized", message);
  }
}

/** 403: a valid token without the permission the route needs. */
export class ForbiddenError extends CharonError {
  readonly status = 403;
  constructor(message: string) {
    super("Forbidden", message);
  }
}

/** 429: slow down; `retryAfterSeconds` becomes the `Retry-After` header. */
export class RateLimitedError extends CharonError {
  readonly status = 429;
  constructor(
    readonly retryAfterSeconds: number,
    message = "Too many failed authentication attempts; retry later",
  ) {
    super("Too many requests", message);
  }
}

/**
 * 502: a dependency outside our control (a DNS provider's API) failed in a way the caller can
 * act on; the message names the dependency and what it said, never a credential.
 */
export class UpstreamError extends CharonError {
  readonly status = 502;
  constructor(message: string, extra: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super("Bad gateway", message, extra, options);
  }
}

/**
 * Raised by repositories when a conditional write lost a race (optimistic concurrency):
 * the caller re-reads and retries, or reports a 409 if retrying cannot help.
 */
export class ConcurrentModificationError extends CharonError {
  readonly status = 409;
  constructor(resource: string, id: number | string, options?: { cause?: unknown }) {
    super("Conflict", `${resource} with ID ${id} was changed by another request; retry`, {}, options);
  }
}

/**
 * 503: a service the API stores its state in did not answer (throttled, timed out, down). The
 * request may or may not have been applied; repeating it is how a client finds out.
 */
export class ServiceUnavailableError extends CharonError {
  readonly status = 503;
  constructor(message: string, options?: { cause?: unknown }) {
    super("Service unavailable", message, {}, options);
  }
}

/** 413: the body is larger than the API accepts. */
export class PayloadTooLargeError extends CharonError {
  readonly status = 413;
  constructor(limitBytes: number) {
    super("Payload too large", `Request bodies are limited to ${limitBytes} bytes`);
  }
}
