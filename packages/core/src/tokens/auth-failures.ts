import { RateLimitedError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { AuthFailureCounter } from "./repository.js";

export interface AuthFailureLimits {
  /** Failed authentications one address may make per window before it gets 429s. */
  maxFailures: number;
  windowSeconds: number;
}

export const defaultAuthFailureLimits: AuthFailureLimits = { maxFailures: 20, windowSeconds: 60 };

/** Addresses remembered as blocked per instance; beyond this the oldest are forgotten. */
const MAX_REMEMBERED_ADDRESSES = 10_000;

/**
 * Slows down repeated failed authentications from one client address
 * (docs/decisions/0009-auth-failure-rate-limit.md): counts live in the shared store, so every
 * Lambda instance sees the same total; an instance also remembers the addresses it has blocked,
 * so a blocked address costs no further writes until its window ends. Successful requests never
 * touch the counters.
 */
export class AuthFailureThrottle {
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    private readonly counter: AuthFailureCounter,
    private readonly clock: Clock,
    private readonly limits: AuthFailureLimits = defaultAuthFailureLimits,
  ) {}

  /** Throws RateLimitedError while `address` is blocked on this instance. */
  checkBlocked(address: string): void {
    const until = this.blockedUntil.get(address);
    if (until === undefined) return;
    const now = this.clock.now().getTime();
    if (until > now) throw new RateLimitedError(Math.ceil((until - now) / 1000));
    this.blockedUntil.delete(address);
  }

  /** Counts a failure; throws RateLimitedError once the address is over its limit. */
  async recordFailure(address: string): Promise<void> {
    this.checkBlocked(address);
    const now = this.clock.now().getTime();
    const windowMs = this.limits.windowSeconds * 1000;
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const windowEnd = windowStart + windowMs;
    const count = await this.counter.add(address, new Date(windowStart), new Date(windowEnd + windowMs));
    if (count <= this.limits.maxFailures) return;
    this.remember(address, windowEnd);
    throw new RateLimitedError(Math.max(1, Math.ceil((windowEnd - now) / 1000)));
  }

  private remember(address: string, until: number): void {
    this.blockedUntil.delete(address);
    if (this.blockedUntil.size >= MAX_REMEMBERED_ADDRESSES) {
      const oldest = this.blockedUntil.keys().next().value;
      if (oldest !== undefined) this.blockedUntil.delete(oldest);
    }
    this.blockedUntil.set(address, until);
  }
}
