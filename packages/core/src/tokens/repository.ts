import type { ApiToken, NewApiToken } from "./token.js";

/** Storage of API tokens, keyed by the hash of their value for one-read authentication. */
export interface ApiTokenRepository {
  findByHash(hash: string): Promise<ApiToken | undefined>;
  /**
   * Stores a token under a new id. Fails with ConflictError if a token with the same hash
   * exists, so that an idempotent bootstrap can tell "already there" from a new write.
   */
  create(token: NewApiToken): Promise<ApiToken>;
}
