import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { isWithin, type Principal } from "../access/permissions.js";
import { auditEntry, type Actor } from "../audit/entry.js";
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { AuthFailureThrottle } from "./auth-failures.js";
import type { ApiTokenRepository } from "./repository.js";
import { TOKEN_PREFIX, type ApiToken, type IssuedToken, type TokenRequest } from "./token.js";

export function hashToken(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

/** `last_used_at` is written at most once per token per this interval. */
export const LAST_USED_RESOLUTION_MS = 5 * 60 * 1000;

/** The 401 of a request without a bearer token (no Authorization header, or not `Bearer <token>`). */
const MISSING_TOKEN_MESSAGE = "Missing API token: send the header 'Authorization: Bearer <token>'";

/** Stands for a request whose client address is unknown, so it still has a failure budget. */
const UNKNOWN_ADDRESS = "unknown";

export class TokenService {
  constructor(
    private readonly tokens: ApiTokenRepository,
    private readonly clock: Clock,
    private readonly failures?: AuthFailureThrottle,
  ) {}

  /**
   * The caller behind a bearer token value; 401 for a missing, unknown, expired or revoked
   * token, 429 once the client address has failed too often (see AuthFailureThrottle).
   */
  async authenticate(value: string | undefined, clientAddress: string | null = null): Promise<Principal> {
    const address = clientAddress ?? UNKNOWN_ADDRESS;
    try {
      // No token at all is a different mistake from a wrong one: say how to send it.
      if (value === undefined) throw new UnauthorizedError(MISSING_TOKEN_MESSAGE);
      const token = await this.validToken(value);
      if (!token) throw new UnauthorizedError();
      await this.noteUse(token);
      return { tokenId: token.id, name: token.name, permission: token.permission, scopes: token.scopes };
    } catch (error) {
      if (error instanceof UnauthorizedError && this.failures) await this.failures.recordFailure(address);
      throw error;
    }
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

  private async validToken(value: string): Promise<ApiToken | undefined> {
    const hash = hashToken(value);
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
