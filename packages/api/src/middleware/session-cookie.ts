import type { ActiveSession, OpenedSession, Principal, TokenService } from "@charon/core";
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import type { AppEnv } from "../env.js";
import { requireCsrfToken } from "./csrf.js";

/** The console's session cookie (docs/decisions/0024-console-sessions.md). */
export const SESSION_COOKIE = "charon_session";

/**
 * HttpOnly (no script reads it), Secure (never sent in clear; browsers treat http://127.0.0.1 and
 * localhost as secure contexts, so `npm start` works too), SameSite=Strict (no other site's page
 * makes the browser send it), and sent only to the API.
 */
const COOKIE_OPTIONS: CookieOptions = { httpOnly: true, secure: true, sameSite: "Strict", path: "/api" };

/**
 * Who is calling: `Authorization: Bearer …` when sent (unchanged for automation), otherwise the
 * session cookie, under the CSRF rule (middleware/csrf.ts), with exactly its token's rights.
 * 401 with neither, or when either names nothing live; 429 after repeated failures.
 */
export async function authenticateRequest(c: Context<AppEnv>, tokens: TokenService): Promise<Principal> {
  const header = c.req.header("Authorization");
  const cookie = getCookie(c, SESSION_COOKIE);
  if (header === undefined && cookie !== undefined) return (await sessionOf(c, tokens, cookie)).principal;
  const value = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
  return tokens.authenticate(value, c.get("clientAddress"));
}

/** Puts the live session the cookie names on the context as `session`, its CSRF rule checked (401, 403). */
export function requireSession(tokens: TokenService): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const active = await sessionOf(c, tokens, getCookie(c, SESSION_COOKIE));
    c.set("session", active);
    c.set("principal", active.principal);
    await next();
  };
}

async function sessionOf(c: Context<AppEnv>, tokens: TokenService, cookie: string | undefined): Promise<ActiveSession> {
  const active = await tokens.session(cookie, c.get("clientAddress"));
  requireCsrfToken(c, active.session);
  return active;
}

/** Sets the cookie of a new session, to last as long as the session. */
export function setSessionCookie(c: Context<AppEnv>, { value, session }: OpenedSession): void {
  const maxAge = Math.max(0, Math.floor((Date.parse(session.expiresAt) - Date.parse(session.createdAt)) / 1000));
  setCookie(c, SESSION_COOKIE, value, { ...COOKIE_OPTIONS, maxAge });
}

/** Tells the browser to forget the cookie (`Max-Age=0`). */
export function clearSessionCookie(c: Context<AppEnv>): void {
  deleteCookie(c, SESSION_COOKIE, COOKIE_OPTIONS);
}
