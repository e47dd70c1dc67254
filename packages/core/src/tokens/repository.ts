import type { AuditEntry } from "../audit/entry.js";
import type { ApiToken, NewApiToken } from "./token.js";

/** Storage of API tokens, keyed by the hash of their value for one-read authentication. */
export interface ApiTokenRepository {
  findByHash(hash: string): Promise<ApiToken | undefined>;
  findById(id: number): Promise<ApiToken | undefined>;
  /** Every token that has not been revoked, by id. */
  list(): Promise<ApiToken[]>;
  /**
   * Stores a token under a new id, with its audit entry (built from the id) in the same
   * transaction. Fails with ConflictError if a token with the same hash exists, so that an
   * idempotent bootstrap can tell "already there" from a new write.
   */
  create(token: NewApiToken, audit?: (id: number) => AuditEntry): Promise<ApiToken>;
  /** Removes the token at once (later authentications fail), with its audit entry. */
  revoke(token: ApiToken, audit: AuditEntry): Promise<void>;
  /**
   * Sets `lastUsedAt` to `at` only when the stored value is null or older than `staleBefore`
   * (a conditional write): concurrent requests of one token write at most once per window.
   */
  recordUse(token: ApiToken, at: string, staleBefore: string): Promise<void>;
}

/** Counts failed authentications per client address in fixed windows (rate limiting). */
export interface AuthFailureCounter {
  /**
   * Adds one failure for `address` to the window starting at `windowStart` and returns the
   * window's total; the counter may be forgotten after `forgetAfter`.
   */
  add(address: string, windowStart: Date, forgetAfter: Date): Promise<number>;
}
