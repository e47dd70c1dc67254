import { createHash, timingSafeEqual } from "node:crypto";
import type { Principal } from "../access/permissions.js";
import { ConflictError, UnauthorizedError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { ApiTokenRepository } from "./repository.js";

export function hashToken(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

export class TokenService {
  constructor(
    private readonly tokens: ApiTokenRepository,
    private readonly clock: Clock,
  ) {}

  /** The caller behind a bearer token value; 401 for unknown, expired or revoked tokens. */
  async authenticate(value: string): Promise<Principal> {
    const hash = hashToken(value);
    const token = await this.tokens.findByHash(hash);
    // The lookup is by hash; comparing again in constant time keeps a storage quirk
    // (e.g. a case-insensitive backend) from turning into an oracle.
    if (!token || !timingSafeEqual(Buffer.from(token.hash), Buffer.from(hash))) {
      throw new UnauthorizedError();
    }
    if (token.revokedAt !== null) throw new UnauthorizedError();
    if (token.expiresAt !== null && Date.parse(token.expiresAt) <= this.clock.now().getTime()) {
      throw new UnauthorizedError();
    }
    return { tokenId: token.id, name: token.name, permission: token.permission, scopes: token.scopes };
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
}
