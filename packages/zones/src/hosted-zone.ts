import { foldHostName } from "./names.js";

/**
 * Spec §5: the zone to write `_acme-challenge.<name>` into, among the zones a DNS provider
 * reports: the longest one that is a suffix of the record name, which finds sub-zones delegated
 * on their own (`dev.example.com`). Returns the entry of `zones` as given, so the caller can map
 * it back to the provider's zone id; null when none fits (fall back to registrableDomain).
 */
export function findHostedZone(name: string, zones: readonly string[]): string | null {
  const host = foldHostName(name);
  if (host === null) return null;
  return findZoneOf(`_acme-challenge.${host.startsWith("*.") ? host.slice(2) : host}`, zones);
}

/**
 * The longest entry of `zones` that is `recordName` or a suffix of it on a label boundary, as
 * given; null when none is. For a record name reached by following CNAMEs (dns-01.md §1), which
 * need not start with `_acme-challenge.`.
 */
export function findZoneOf(recordName: string, zones: readonly string[]): string | null {
  const record = foldHostName(recordName);
  if (record === null) return null;
  let best: { zone: string; length: number } | null = null;
  for (const zone of zones) {
    const folded = foldHostName(zone);
    if (folded === null || folded === "") continue;
    const fits = record === folded || record.endsWith(`.${folded}`);
    if (fits && (best === null || folded.length > best.length)) best = { zone, length: folded.length };
  }
  return best === null ? null : best.zone;
}
