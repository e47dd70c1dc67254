import { formatZoneFilter, parseZoneFilter, type ZoneFilter } from "@charon/zones";
import { ValidationError } from "../errors.js";

/** How a credential has served certificate operations (shared/seeds/multi-credential-dns.md). */
export interface CredentialStats {
  /** Certificate names currently resolved to this credential. */
  usageCount: number;
  successCount: number;
  failureCount: number;
  lastUsedAt: string | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
}

export type CredentialTestStatus = "success" | "failed" | "warning";

/**
 * One set of API credentials of a DNS provider. The secret fields live in the SecretStore under
 * `secretName`; only their names are kept here, so nothing read from the table is ever secret.
 */
export interface DnsCredential {
  /** Global: unique across providers. */
  id: number;
  providerId: number;
  name: string;
  description: string | null;
  /** Canonical text (formatZoneFilter): "" is the catch-all, `__deprecated__` matches nothing. */
  zoneFilter: string;
  /** Disabled credentials are never selected and hold no claims (zone-matching spec §6). */
  enabled: boolean;
  /** Non-secret credential fields (`region`, `api_url`, …) by canonical name. */
  settings: Record<string, string>;
  secretName: string;
  /** Canonical names of the secret fields stored under `secretName`. */
  secretFields: string[];
  /** Optimistic concurrency: every metadata write requires the version it read. */
  version: number;
  createdAt: string;
  updatedAt: string;
  lastTestedAt: string | null;
  lastTestStatus: CredentialTestStatus | null;
  stats: CredentialStats;
}

export const MAX_CREDENTIAL_NAME_LENGTH = 100;
export const MAX_DESCRIPTION_LENGTH = 1000;

export const emptyStats: CredentialStats = {
  usageCount: 0,
  successCount: 0,
  failureCount: 0,
  lastUsedAt: null,
  lastSuccessAt: null,
  lastFailureAt: null,
};

/**
 * A credential as first stored: version 1, never tested, no statistics. `secret` holds the secret
 * values only to record which fields are set; the values themselves go to the SecretStore.
 */
export function newCredential(
  fields: Pick<DnsCredential, "id" | "providerId" | "name" | "description" | "zoneFilter" | "enabled" | "settings" | "secretName">,
  secret: Record<string, string>,
  now: string,
): DnsCredential {
  return {
    ...fields,
    secretFields: Object.keys(secret).sort(),
    version: 1,
    createdAt: now,
    updatedAt: now,
    lastTestedAt: null,
    lastTestStatus: null,
    stats: emptyStats,
  };
}

/** Percentage of successful operations with one decimal; null before the first operation. */
export function successRate(stats: CredentialStats): number | null {
  const total = stats.successCount + stats.failureCount;
  if (total === 0) return null;
  return Math.round((stats.successCount / total) * 1000) / 10;
}

/** Names are unique per provider regardless of case (and of Unicode composition). */
export function nameKey(name: string): string {
  return name.normalize("NFC").toLowerCase();
}

/**
 * What a credential holds exclusively among its provider's credentials (spec §6): each pattern
 * of its filter, or the catch-all. Disabled and deprecated credentials hold nothing, which is
 * what lets the documented rotation put two credentials on one filter.
 */
export interface CredentialClaims {
  patterns: string[];
  catchAll: boolean;
}

export function claimsOf(credential: Pick<DnsCredential, "enabled" | "zoneFilter">): CredentialClaims {
  if (!credential.enabled) return { patterns: [], catchAll: false };
  const filter = storedFilter(credential.zoneFilter);
  if (filter.kind === "catch_all") return { patterns: [], catchAll: true };
  if (filter.kind === "deprecated") return { patterns: [], catchAll: false };
  return { patterns: filter.patterns.map((p) => p.text), catchAll: false };
}

/**
 * A filter read back from storage. Only canonical filters are ever written, but the input rules
 * of the day they were written may not be today's: the public-suffix list grows with `tldts`
 * upgrades, and the pattern limit may shrink. Re-judging stored filters by today's policy would
 * make a provider whose customer zone became a suffix fail every read, update and delete (500),
 * so stored filters are only held to the syntax; policy applies to input (canonicalFilter).
 */
export function storedFilter(text: string): ZoneFilter {
  const known = parsedFilters.get(text);
  if (known) return known;
  const parsed = parseZoneFilter(text, { policy: false });
  if (!parsed.ok) throw corruptFilter(text, parsed.error.details);
  // A stored filter is canonical: read back, it must give the same text, or it is not ours.
  if (formatZoneFilter(parsed.value) !== text) throw corruptFilter(text, "it is not in canonical form");
  return remember(text, parsed.value);
}

/**
 * A filter as typed (spec §2, with policy) in its stored form and parsed, or the 400 with the
 * exact reason. The parsed form is what every later reader of the same text gets from
 * `storedFilter`, so a filter is parsed once per process, not once per check.
 */
export function canonicalFilter(input: string): { text: string; filter: ZoneFilter } {
  const parsed = parseZoneFilter(input);
  if (!parsed.ok) throw new ValidationError(parsed.error.details, parsed.error.title);
  const text = formatZoneFilter(parsed.value);
  return { text, filter: parsedFilters.get(text) ?? remember(text, parsed.value) };
}

/**
 * Parsed filters by canonical text. Selection, claims, conflict checks, re-evaluation and the
 * credential test all read filters; a provider has few distinct ones, and claims name one pattern
 * each. Bounded: past the limit it starts again. Entries are frozen, since every reader shares them.
 */
const parsedFilters = new Map<string, ZoneFilter>();
const MAX_PARSED_FILTERS = 4_096;

function remember(text: string, filter: ZoneFilter): ZoneFilter {
  if (parsedFilters.size >= MAX_PARSED_FILTERS) parsedFilters.clear();
  const frozen = Object.freeze(
    filter.kind === "patterns" ? { kind: filter.kind, patterns: Object.freeze(filter.patterns.map((p) => Object.freeze(p))) } : filter,
  ) as ZoneFilter;
  parsedFilters.set(text, frozen);
  return frozen;
}

/** Not a filter this code could have written: the item was damaged outside the application. */
function corruptFilter(text: string, reason: string): Error {
  return new Error(`Stored zone filter '${text}' is invalid: ${reason}`);
}
