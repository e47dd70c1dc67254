import type { DnsZone } from "@charon/core";
import { normaliseName } from "./names.js";

/** The record a DNS-01 challenge for `domain` writes: `*.example.com` → `_acme-challenge.example.com`. */
export function challengeRecordName(domain: string): string {
  const name = normaliseName(domain);
  return `_acme-challenge.${name.startsWith("*.") ? name.slice(2) : name}`;
}

/**
 * The hosted zone that holds `recordName` (zone-matching.md §5): the longest zone name among the
 * provider's zones that equals it or ends it on a label boundary, so a delegated sub-zone such as
 * `dev.example.com` wins over `example.com`. Undefined when none does.
 */
export function findHostedZone(zones: readonly DnsZone[], recordName: string): DnsZone | undefined {
  const name = normaliseName(recordName);
  let best: DnsZone | undefined;
  for (const zone of zones) {
    const zoneName = normaliseName(zone.name);
    const holds = name === zoneName || name.endsWith(`.${zoneName}`);
    if (holds && (!best || zoneName.length > normaliseName(best.name).length)) best = zone;
  }
  return best;
}
