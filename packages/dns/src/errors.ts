import type { DnsProviderFailure } from "@charon/core";

// The error type is the port's (core's `DnsProviderError`), so that callers read its fields by type.
export { DnsProviderError, type DnsProviderFailure } from "@charon/core";

/** The failure reason an HTTP status stands for. */
export function reasonForStatus(status: number): DnsProviderFailure {
  if (status === 401) return "auth";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status === 429) return "rate_limited";
  if (status >= 500) return "unavailable";
  return "rejected";
}
