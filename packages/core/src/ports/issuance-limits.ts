/**
 * What bounds issuance (issue 9 §3): the CA's new-order budget per ACME account, and how many
 * orders may hold DNS-writing work at once per DNS provider. Both live in the data store, since
 * Lambda runs many workers at once; a wait is a delayed message, never an idle worker.
 * Adapter: `@charon/aws` (conditional writes on DynamoDB items).
 */

/** A token bucket's shape: `capacity` tokens, one more every `refillSeconds`. */
export interface BucketShape {
  capacity: number;
  refillSeconds: number;
}

/**
 * Let's Encrypt's "New Orders per Account": 300 per 3 hours, one token back every 36 s
 * (letsencrypt.org/docs/rate-limits). Orders that send `replaces` (RFC 9773) are exempt.
 */
export const LETS_ENCRYPT_NEW_ORDERS: BucketShape = { capacity: 300, refillSeconds: 36 };

/** The new-order budget of ACME accounts: one bucket per (directory URL, account URL). */
export interface NewOrderBudget {
  /**
   * Takes one token from `account`'s bucket at `now`, atomically. `{ waitSeconds }` when the bucket
   * is empty: whole seconds (≥ 1) until the next token is back; nothing was taken then.
   */
  take(account: { directoryUrl: string; accountUrl: string }, now: Date): Promise<{ taken: true } | { taken: false; waitSeconds: number }>;
}

/**
 * At most `slots` orders per DNS provider between writing their DNS-01 values and removing them.
 * A slot is a lease: `owner` (the order's id, so a resumed order takes its own slot back) until a
 * time, after which a holder that died loses it.
 */
export interface DnsProviderSlots {
  /**
   * Takes (or renews) a slot of `providerId` for `owner` until `until`. `{ waitSeconds }` when all
   * slots are held by others: whole seconds (≥ 1) until the first of their leases ends.
   */
  acquire(providerId: number, owner: string, now: Date, until: Date): Promise<{ held: true } | { held: false; waitSeconds: number }>;
  /** Gives `owner`'s slot of `providerId` back, if it still holds one. */
  release(providerId: number, owner: string): Promise<void>;
}
