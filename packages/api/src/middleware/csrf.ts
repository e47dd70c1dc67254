import { ForbiddenError, type Session } from "@charon/core";
import type { Context } from "hono";
import { timingSafeEqual } from "node:crypto";

/** The header a cookie request that changes something carries (docs/decisions/0024-console-sessions.md). */
export const CSRF_HEADER = "X-CSRF-Token";

/** Methods that change nothing (RFC 9110 §9.2.1): a cookie alone may call them. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The request comes from a page of the API's own origin, as far as the browser says: its
 * `Sec-Fetch-Site` (when sent) is `same-origin`, and its `Origin` (when sent) is the origin the
 * request was addressed to: the `Host` it reached, or, behind CloudFront (SST's Router),
 * `X-Forwarded-Host`, which its viewer-request function sets to the address the browser used.
 * Browsers set `Origin` and `Sec-Fetch-Site` themselves (a page cannot forge them); clients
 * that send neither (curl) are judged by the CSRF token alone. 403 otherwise.
 */
export function requireSameOrigin(c: Context): void {
  const site = c.req.header("Sec-Fetch-Site");
  if (site !== undefined && site !== "same-origin") {
    throw new ForbiddenError(`Cross-site request refused: Sec-Fetch-Site is '${site}'; the console's own pages are 'same-origin'`);
  }
  const origin = c.req.header("Origin");
  if (origin === undefined) return;
  const hosts = [c.req.header("X-Forwarded-Host"), c.req.header("Host") ?? new URL(c.req.url).host].filter((h): h is string => !!h);
  if (!hosts.some((host) => sameHost(origin, host))) {
    throw new ForbiddenError(`Cross-site request refused: Origin '${origin}' is not this API's origin`);
  }
}

/**
 * The CSRF rule for a request authenticated by the session cookie, in one place: a method that
 * changes something must come from the API's own origin (`requireSameOrigin`) and carry the
 * session's CSRF token in `X-CSRF-Token` (a synchronizer token: a cross-site page can neither
 * read it nor make the browser send a custom header). 403 naming what is missing or wrong.
 * Bearer requests never reach this: a browser does not add `Authorization` by itself.
 */
export function requireCsrfToken(c: Context, session: Session): void {
  if (SAFE_METHODS.has(c.req.method)) return;
  requireSameOrigin(c);
  const given = c.req.header(CSRF_HEADER);
  if (given === undefined || given === "") {
    throw new ForbiddenError(
      `Missing CSRF token: a request with the session cookie that changes something must send the header '${CSRF_HEADER}' with the session's csrf_token (GET /api/v1/sessions/current)`,
    );
  }
  if (!equal(given, session.csrfToken)) {
    throw new ForbiddenError(`Wrong CSRF token: '${CSRF_HEADER}' is not this session's csrf_token (GET /api/v1/sessions/current)`);
  }
}

function sameHost(origin: string, host: string): boolean {
  try {
    return new URL(origin).host.toLowerCase() === host.trim().toLowerCase();
  } catch {
    return false; // "null" (a sandboxed or file: page) or garbage
  }
}

function equal(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
