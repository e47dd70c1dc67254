import { invalidZoneFilter, type ZoneFilterError } from "./errors.js";
import { parsePattern, type Pattern } from "./pattern.js";
import { ok, type Result } from "./result.js";

/** Spec §2: the filter of a credential that stays stored but matches nothing (rotation). */
export const DEPRECATED_FILTER = "__deprecated__";

/**
 * A credential's patterns are claimed, released and checked for conflicts in one storage
 * transaction, which bounds how many one filter may hold.
 */
export const MAX_PATTERNS_PER_FILTER = 40;

export type ZoneFilter = { kind: "catch_all" } | { kind: "deprecated" } | { kind: "patterns"; patterns: Pattern[] };

/**
 * What a filter may claim, as opposed to how it is written: no public suffix, at most
 * MAX_PATTERNS_PER_FILTER patterns. Input is held to it; a filter stored under an older policy
 * (the public-suffix list grows with each `tldts` release) is read back with `policy: false`.
 */
export interface FilterRules {
  policy?: boolean;
}

/** Spec §2: the stored form of a zone filter as typed by a person, or what to change in it. */
export function parseZoneFilter(input: string, { policy = true }: FilterRules = {}): Result<ZoneFilter, ZoneFilterError> {
  if (input === "") return ok({ kind: "catch_all" });
  if (input === DEPRECATED_FILTER) return ok({ kind: "deprecated" });
  // Checked before spaces: "a.com; b.com" is first of all the wrong separator.
  if (input.includes(";")) {
    return invalidZoneFilter("wrong_separator", "Zone filter uses ';' as separator: separate patterns with ','");
  }
  if (/\s/u.test(input)) return invalidZoneFilter("contains_space", "Zone filter cannot contain spaces");
  const entries = input.split(",");
  if (entries.includes("")) return invalidZoneFilter("empty_entry", "Zone filter has an empty entry");
  if (policy && entries.length > MAX_PATTERNS_PER_FILTER) {
    return invalidZoneFilter(
      "too_many_patterns",
      `Zone filter has ${entries.length} patterns; at most ${MAX_PATTERNS_PER_FILTER} are allowed, ` +
        "because a credential's patterns are saved in one storage transaction",
    );
  }
  const patterns: Pattern[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    if (entry === DEPRECATED_FILTER) {
      return invalidZoneFilter(
        "deprecated_not_alone",
        `Zone filter '${DEPRECATED_FILTER}' must be the whole filter, not one pattern among others`,
      );
    }
    const pattern = parsePattern(entry, { policy });
    if (!pattern.ok) return pattern;
    if (seen.has(pattern.value.text)) {
      return invalidZoneFilter("duplicate_pattern", `Zone filter pattern '${pattern.value.text}' appears twice`);
    }
    seen.add(pattern.value.text);
    patterns.push(pattern.value);
  }
  return ok({ kind: "patterns", patterns });
}

/** The canonical text of a filter: what parseZoneFilter accepts back unchanged. */
export function formatZoneFilter(filter: ZoneFilter): string {
  switch (filter.kind) {
    case "catch_all":
      return "";
    case "deprecated":
      return DEPRECATED_FILTER;
    case "patterns":
      return filter.patterns.map((p) => p.text).join(",");
  }
}
