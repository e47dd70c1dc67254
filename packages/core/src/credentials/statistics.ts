import type { DnsProvider } from "../dns-providers/provider.js";
import { successRate, type DnsCredential } from "./credential.js";

const DAY_MS = 24 * 60 * 60 * 1000;
/** multi-credential-dns.md, "Viewing Credential Usage Statistics". */
export const ACTIVE_WITHIN_DAYS = 30;
export const INACTIVE_AFTER_DAYS = 90;
export const LOW_SUCCESS_RATE = 90;
export const TOP_CREDENTIALS = 5;

export interface ProviderStatistics {
  providerId: number;
  totalCredentials: number;
  /** Used in the last 30 days. */
  activeCredentials: number;
  /** Not used in the last 90 days; one never used counts once it is 90 days old. */
  inactiveCredentials: number;
  topCredentials: Array<{ id: number; name: string; usageCount: number; successRate: number | null }>;
  alerts: Array<{ credentialId: number; name: string; successRate: number; message: string }>;
}

/**
 * The documents' "Low Success Rate Alert" in words: on the credential, in the provider dashboard
 * and in the `credential_success_rate_low` event.
 */
export function lowSuccessRateMessage(name: string, rate: number): string {
  return `Success rate ${rate}% of credential '${name}' is below ${LOW_SUCCESS_RATE}%: test the credential`;
}

/** The provider's dashboard: activity, the most used credentials, low success rates. */
export function providerStatistics(
  provider: DnsProvider,
  credentials: readonly DnsCredential[],
  now: Date,
): ProviderStatistics {
  const since = (days: number) => now.getTime() - days * DAY_MS;
  const usedWithin = (c: DnsCredential, days: number) =>
    c.stats.lastUsedAt !== null && Date.parse(c.stats.lastUsedAt) >= since(days);
  // A credential added last week and not used yet is new, not unused.
  const inactive = (c: DnsCredential) =>
    !usedWithin(c, INACTIVE_AFTER_DAYS) && Date.parse(c.createdAt) < since(INACTIVE_AFTER_DAYS);
  const topCredentials = [...credentials]
    .sort((a, b) => b.stats.usageCount - a.stats.usageCount || a.id - b.id)
    .slice(0, TOP_CREDENTIALS)
    .map((c) => ({ id: c.id, name: c.name, usageCount: c.stats.usageCount, successRate: successRate(c.stats) }));
  const alerts = credentials.flatMap((c) => {
    const rate = successRate(c.stats);
    if (rate === null || rate >= LOW_SUCCESS_RATE) return [];
    return [
      {
        credentialId: c.id,
        name: c.name,
        successRate: rate,
        message: lowSuccessRateMessage(c.name, rate),
      },
    ];
  });
  return {
    providerId: provider.id,
    totalCredentials: credentials.length,
    activeCredentials: credentials.filter((c) => usedWithin(c, ACTIVE_WITHIN_DAYS)).length,
    inactiveCredentials: credentials.filter(inactive).length,
    topCredentials,
    alerts,
  };
}
