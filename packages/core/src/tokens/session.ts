import type { Principal } from "../access/permissions.js";
import type { ApiToken } from "./token.js";

/**
 * A browser's sign-in: an API token exchanged once for a short-lived session, so that the token
 * itself never reaches browser storage (issue 12, docs/decisions/0024-console-sessions.md). The
 * session's value travels only in an HttpOnly cookie; what is stored is its SHA-256.
 */
export interface Session {
  /** Hex SHA-256 of the session value (the cookie); the value itself is never stored. */
  hash: string;
  tokenId: number;
  /** The token's hash, so each request re-reads the token in one lookup: revoked → no session. */
  tokenHash: string;
  /**
   * What every cookie request that changes something must echo in `X-CSRF-Token` (a
   * synchronizer token: a cross-site page can neither read it nor make the browser send it).
   */
  csrfToken: string;
  /** ISO-8601. */
  createdAt: string;
  /** ISO-8601: the lifetime after sign-in, or the token's own expiry when that is sooner. */
  expiresAt: string;
}

/** A session the request's cookie names, with the token behind it as it is now. */
export interface ActiveSession {
  session: Session;
  token: ApiToken;
  principal: Principal;
}

/** A new session and its value: the only time the value is available (it goes into the cookie). */
export interface OpenedSession extends ActiveSession {
  value: string;
}

/** Storage of sessions, keyed by the hash of their value; expired items are removed by TTL. */
export interface SessionRepository {
  create(session: Session): Promise<void>;
  findByHash(hash: string): Promise<Session | undefined>;
  delete(hash: string): Promise<void>;
}

/** How long a session lives after sign-in unless its token expires first (CHARON_SESSION_LIFETIME_MINUTES). */
export const DEFAULT_SESSION_LIFETIME_SECONDS = 8 * 3600;

/** The 401 of a cookie that names no live session (unknown, expired, signed out, or its token revoked). */
export const SESSION_ENDED_MESSAGE = "The session has ended (expired, signed out, or its token revoked): sign in again with POST /api/v1/sessions";
