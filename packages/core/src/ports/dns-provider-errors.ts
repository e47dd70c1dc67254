import { UpstreamError } from "../errors.js";
import type { DnsProviderTypeName } from "./dns-provider.js";

/** Why a provider call failed, for callers that react differently (a credential test, a retry). */
export type DnsProviderFailure =
  /** 401, or the provider's "invalid credentials" answer. */
  | "auth"
  /** 403: authenticated but not allowed (token scope, IAM policy). */
  | "forbidden"
  | "not_found"
  | "rate_limited"
  /** 5xx. */
  | "unavailable"
  | "timeout"
  /** The provider could not be reached (refused, reset, DNS). */
  | "network"
  /** The outbound policy does not allow the provider's address (OutboundPolicy): not tried. */
  | "refused"
  /** A body that is not what the API documents (not JSON, wrong shape). */
  | "bad_response"
  /** Any other 4xx: the provider refused the request. */
  | "rejected";

/**
 * How every `DnsProviderClient` method fails: a DNS provider's API failed. The message starts with
 * the provider's label and carries what the provider said (`Cloudflare API returned 403: Invalid
 * access token`); it never contains a credential. `status` (inherited) stays 502, the status our
 * API answers with; `upstreamStatus` is the provider's HTTP status when there was one. Thrown by
 * the adapters of `@charon/dns`, read by the credential test and by issuance.
 */
export class DnsProviderError extends UpstreamError {
  readonly provider: DnsProviderTypeName;
  readonly reason: DnsProviderFailure;
  readonly upstreamStatus: number | undefined;
  /** The provider's own error text (credential-free), e.g. "Invalid access token". */
  readonly upstreamMessage: string | undefined;
  /** How many requests were made before giving up (1 when not retried). */
  readonly attempts: number;

  constructor(init: {
    provider: DnsProviderTypeName;
    reason: DnsProviderFailure;
    message: string;
    upstreamStatus?: number;
    upstreamMessage?: string;
    attempts?: number;
    cause?: unknown;
  }) {
    super(init.message, { provider: init.provider }, { cause: init.cause });
    this.provider = init.provider;
    this.reason = init.reason;
    this.upstreamStatus = init.upstreamStatus;
    this.upstreamMessage = init.upstreamMessage;
    this.attempts = init.attempts ?? 1;
  }

  /** The same failure, reported after `attempts` tries. */
  afterAttempts(attempts: number): DnsProviderError {
    if (attempts <= 1) return this;
    return new DnsProviderError({
      provider: this.provider,
      reason: this.reason,
      message: `${this.message} (gave up after ${attempts} attempts)`,
      upstreamStatus: this.upstreamStatus,
      upstreamMessage: this.upstreamMessage,
      attempts,
      cause: this.cause,
    });
  }
}
