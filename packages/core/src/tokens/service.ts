import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { isWithin, type Principal } from "../access/permissions.js";
import { auditEntry, type Actor } from "../audit/entry.js";
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { AuthFailureThrottle } from "./auth-failures.js";
import type { ApiTokenRepository } from "./repository.js";
import {
  DEFAULT_SESSION_LIFETIME_SECONDS,
  SESSION_ENDED_MESSAGE,
  type ActiveSession,
  type OpenedSession,
  type Session,
  type SessionRepository,
} from "./session.js";
import { TOKEN_PREFIX, type ApiToken, type IssuedToken, type TokenRequest } from "./token.js";

export function hashToken(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

/** `last_used_at` is written at most once per token per this interval. */
export const LAST_USED_RESOLUTION_MS = 5 * 60 * 1000;

/** The 401 of a request without a bearer token (no Authorization header, or not `Bearer <token>`). */
const MISSING_TOKEN_MESSAGE = "Missing API token: send the header 'Authorization: Bearer <token>'";

/** The 401 of a session route called without the session cookie. */
const NO_SESSION_MESSAGE = "No session: sign in with POST /api/v1/sessions, which sets the cookie 'charon_session'";

/** Stands for a request whose client address is unknown, so it still has a failure budget. */
const UNKNOWN_ADDRESS = "unknown";

/** Where sessions live and how long one lasts at most (seconds after sign-in). */
export interface SessionOptions {
  repository: SessionRepository;
  lifetimeSeconds?: number;
}

/**
 * Authentication: API tokens (create, revoke, check a bearer value) and the browser sessions a
 * token is exchanged for (open, check a cookie, close). A session is only as good as its token:
 * each request re-reads the token, so revoking it ends its sessions at once.
 */
export class TokenService {
  constructor(
    private readonly tokens: ApiTokenRepository,
    private readonly clock: Clock,
    private readonly failures?: AuthFailureThrottle,
    private readonly sessions?: SessionOptions,
  ) {}

  /**
   * The caller behind a bearer token value; 401 for a missing, unknown, expired or revoked
   * token, 429 once the client address has failed too often (see AuthFailureThrottle).
   */
  async authenticate(value: string | undefined, clientAddress: string | null = null): Promise<Principal> {
    return principalOf(await this.checkedToken(value, clientAddress));
  }

  /**
   * Exchanges a token value for a new session (`POST /api/v1/sessions`): 401 and 429 as
   * `authenticate`. The session ends after the configured lifetime, or when the token expires
   * if that is sooner; `value` is for the cookie and is not kept.
   */
  async openSession(tokenValue: string | undefined, clientAddress: string | null = null): Promise<OpenedSession> {
    const repository = this.sessionRepository();
    const token = await this.checkedToken(tokenValue, clientAddress);
    const now = this.clock.now();
    const lifetimeMs = (this.sessions?.lifetimeSeconds ?? DEFAULT_SESSION_LIFETIME_SECONDS) * 1000;
    const ends = Math.min(now.getTime() + lifetimeMs, token.expiresAt === null ? Infinity : Date.parse(token.expiresAt));
    const value = randomBytes(32).toString("base64url");
    const session = {
      hash: hashToken(value),
      tokenId: token.id,
      tokenHash: token.hash,
      csrfToken: randomBytes(32).toString("base64url"),
      createdAt: now.toISOString(),
      expiresAt: new Date(ends).toISOString(),
    };
    await repository.create(session);
    return { value, session, token, principal: principalOf(token) };
  }

  /**
   * The live session a cookie value names, with its token as it is now: 401 when the session is
   * unknown, expired or closed or its token revoked or expired (counted as a failed
   * authentication, like a bad bearer token), 429 as `authenticate`; 401 uncounted without a
   * cookie (`value` undefined).
   */
  async session(value: string | undefined, clientAddress: string | null = null): Promise<ActiveSession> {
    const repository = this.sessionRepository();
    // No cookie at all is a signed-out browser asking (the console does on every load), not a
    // guess: a 401 that does not count toward the failure limit.
    if (value === undefined) throw new UnauthorizedError(NO_SESSION_MESSAGE);
    return this.counted(clientAddress, async () => {
      const hash = hashToken(value);
      const session = await repository.findByHash(hash);
      // TTL deletion lags expiry by up to days: the stored time decides.
      const live = session !== undefined && Date.parse(session.expiresAt) > this.clock.now().getTime();
      const token = live ? await this.liveToken(session.tokenHash) : undefined;
      if (!session || !token) throw new UnauthorizedError(SESSION_ENDED_MESSAGE);
      await this.noteUse(token);
      return { session, token, principal: principalOf(token) };
    });
  }

  /** Ends a session at once (signing out); ending one that is already gone is not an error. */
  async closeSession(session: Session): Promise<void> {
    await this.sessionRepository().delete(session.hash);
  }

  /** Creates a token no stronger than the caller's; the value is returned here and never again. */
  async create(caller: Principal, actor: Actor, request: TokenRequest): Promise<IssuedToken> {
    const now = this.clock.now();
    checkGrant(request, now);
    if (!isWithin(caller, request)) {
      throw new ForbiddenError("A token cannot create a token with more permissions than its own");
    }
    const value = TOKEN_PREFIX + randomBytes(32).toString("base64url");
    const token = await this.tokens.create(
      {
        name: request.name,
        permission: request.permission,
        scopes: request.permission === "scoped" ? request.scopes : {},
        hash: hashToken(value),
        createdAt: now.toISOString(),
        createdBy: actor.user,
        expiresAt: request.expiresAt,
      },
      (id) =>
        auditEntry(actor, now, {
          action: "api_token_created",
          resourceType: "api_token",
          resourceId: id,
          resourceName: request.name,
          provider: null,
          zoneFilter: null,
          details: { permission: request.permission, scopes: request.scopes, expires_at: request.expiresAt },
        }),
    );
    return { token, value };
  }

  list(): Promise<ApiToken[]> {
    return this.tokens.list();
  }

  /** Revokes at once. A token may not revoke one with more permissions than its own. */
  async revoke(caller: Principal, actor: Actor, id: number): Promise<void> {
    const token = await this.tokens.findById(id);
    if (!token) throw new NotFoundError("API token", id);
    if (!isWithin(caller, token)) {
      throw new ForbiddenError("A token cannot revoke a token with more permissions than its own");
    }
    await this.tokens.revoke(
      token,
      auditEntry(actor, this.clock.now(), {
        action: "api_token_revoked",
        resourceType: "api_token",
        resourceId: id,
        resourceName: token.name,
        provider: null,
        zoneFilter: null,
      }),
    );
  }

  /**
   * Makes sure a full-access token with exactly `value` exists (CHARON_BOOTSTRAP_TOKEN):
   * how automation gets its first token. Safe to call on every start and from parallel starts.
   */
  async ensureBootstrapToken(value: string): Promise<void> {
    const hash = hashToken(value);
    if (await this.tokens.findByHash(hash)) return;
    try {
      await this.tokens.create({
        name: "bootstrap",
        permission: "full",
        scopes: {},
        hash,
        createdAt: this.clock.now().toISOString(),
        createdBy: "CHARON_BOOTSTRAP_TOKEN",
        expiresAt: null,
      });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }

  /** The token behind `value`, its use noted; failures counted per client address. */
  private checkedToken(value: string | undefined, clientAddress: string | null): Promise<ApiToken> {
    return this.counted(clientAddress, async () => {
      // No token at all is a different mistake from a wrong one: say how to send it.
      if (value === undefined) throw new UnauthorizedError(MISSING_TOKEN_MESSAGE);
      const token = await this.liveToken(hashToken(value));
      if (!token) throw new UnauthorizedError();
      await this.noteUse(token);
      return token;
    });
  }

  /** Runs `attempt`; a 401 it throws counts against the client address (429 once over the limit). */
  private async counted<T>(clientAddress: string | null, attempt: () => Promise<T>): Promise<T> {
    try {
      return await attempt();
    } catch (error) {
      if (error instanceof UnauthorizedError && this.failures) await this.failures.recordFailure(clientAddress ?? UNKNOWN_ADDRESS);
      throw error;
    }
  }

  private sessionRepository(): SessionRepository {
    if (!this.sessions) throw new Error("No SessionRepository is configured");
    return this.sessions.repository;
  }

  /** The token stored under `hash` unless it was revoked or has expired. */
  private async liveToken(hash: string): Promise<ApiToken | undefined> {
    const token = await this.tokens.findByHash(hash);
    // The lookup is by hash; comparing again in constant time keeps a storage quirk
    // (e.g. a case-insensitive backend) from turning into an oracle.
    if (!token || !timingSafeEqual(Buffer.from(token.hash), Buffer.from(hash))) return undefined;
    if (token.revokedAt !== null) return undefined;
    if (token.expiresAt !== null && Date.parse(token.expiresAt) <= this.clock.now().getTime()) return undefined;
    return token;
  }

  /** Coalesced: a write only when the stored time is older than LAST_USED_RESOLUTION_MS. */
  private async noteUse(token: ApiToken): Promise<void> {
    const now = this.clock.now();
    const staleBefore = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
    if (token.lastUsedAt !== null && Date.parse(token.lastUsedAt) > staleBefore.getTime()) return;
    await this.tokens.recordUse(token, now.toISOString(), staleBefore.toISOString());
  }
}

function principalOf(token: ApiToken): Principal {
  return { tokenId: token.id, name: token.name, permission: token.permission, scopes: token.scopes };
}

function checkGrant(request: TokenRequest, now: Date): void {
  const scoped = Object.keys(request.scopes).length;
  if (request.permission === "scoped" && scoped === 0) {
    throw new ValidationError("scopes: a scoped token needs at least one resource type");
  }
  if (request.permission !== "scoped" && scoped > 0) {
    throw new ValidationError(`scopes: only scoped tokens have scopes (permission is '${request.permission}')`);
  }
  if (request.expiresAt !== null && Date.parse(request.expiresAt) <= now.getTime()) {
    throw new ValidationError("expires_at: must be in the future");
  }
}
