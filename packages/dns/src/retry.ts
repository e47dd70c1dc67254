import pRetry from "p-retry";
import { DnsProviderError } from "./errors.js";
import type { ClientSettings } from "./options.js";

/**
 * Thrown by one attempt when trying again may help (429, 5xx, time-out, network error). Carries
 * the error to report if no retry is left, and the wait the provider asked for, if any.
 */
export class RetryableFailure extends Error {
  constructor(
    readonly error: DnsProviderError,
    readonly retryAfterMs?: number,
  ) {
    super(error.message);
    this.name = "RetryableFailure";
  }
}

/**
 * Runs `attempt` with bounded retries: exponential back-off with jitter (p-retry), and at least
 * the provider's Retry-After when it sent one. A Retry-After beyond `maxRetryAfterMs` fails at
 * once. Any other error is final. The error finally thrown is always a DnsProviderError saying
 * how many attempts were made.
 */
export async function withRetries<T>(
  settings: ClientSettings,
  attempt: (attemptNumber: number) => Promise<T>,
): Promise<T> {
  let attempts = 0;
  let last: RetryableFailure | undefined;
  const waitable = (failure: RetryableFailure) =>
    failure.retryAfterMs === undefined || failure.retryAfterMs <= settings.maxRetryAfterMs;
  try {
    return await pRetry(
      async (attemptNumber) => {
        attempts = attemptNumber;
        try {
          return await attempt(attemptNumber);
        } catch (error) {
          if (error instanceof RetryableFailure) last = error;
          throw error;
        }
      },
      {
        retries: settings.retries,
        factor: 2,
        minTimeout: settings.minRetryDelayMs,
        maxTimeout: settings.maxRetryDelayMs,
        randomize: true,
        shouldRetry: (error) => error instanceof RetryableFailure && waitable(error),
        onFailedAttempt: async (error) => {
          // p-retry calls this even after shouldRetry said no; only wait when a retry follows.
          if (!(error instanceof RetryableFailure) || !waitable(error) || error.retriesLeft <= 0) return;
          if (error.retryAfterMs) await settings.sleep(error.retryAfterMs);
        },
      },
    );
  } catch (error) {
    if (error instanceof RetryableFailure) {
      const failure = last ?? error;
      if (!waitable(failure)) {
        throw new DnsProviderError({
          provider: failure.error.provider,
          reason: failure.error.reason,
          message: `${failure.error.message} (asked to retry after ${Math.ceil((failure.retryAfterMs ?? 0) / 1000)} s)`,
          upstreamStatus: failure.error.upstreamStatus,
          upstreamMessage: failure.error.upstreamMessage,
          attempts,
        });
      }
      throw failure.error.afterAttempts(attempts);
    }
    throw error;
  }
}

/** Milliseconds a `Retry-After` header asks for (seconds or an HTTP date), if it is readable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
