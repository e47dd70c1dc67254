import { invalidZoneFilter, type NameErrorCode, type ZoneFilterError, type ZoneFilterErrorCode } from "./errors.js";
import type { FilterRules } from "./filter.js";
import { canonicalName, hasRootDot } from "./names.js";
import { isPublicSuffix } from "./registrable.js";
import { ok, type Result } from "./result.js";

/** Spec §2: `name` is *exact* (the name and everything under it), `*.name` is *wildcard*. */
export type PatternType = "exact" | "wildcard";

export interface Pattern {
  type: PatternType;
  /** The normalised zone, without `*.`. */
  zone: string;
  /** The canonical text: `example.com` or `*.example.com`. */
  text: string;
  /** The number of labels of `zone` (spec §3). */
  specificity: number;
}

/**
 * Spec §3, for a normalised name: exact `z` matches `z` and every name under it; wildcard `*.z`
 * matches every name under `z` (the requested wildcard `*.z` included), never `z` itself.
 */
export function matchPattern(pattern: Pattern, name: string): boolean {
  const { zone } = pattern;
  if (name === zone) return pattern.type === "exact";
  return name.length > zone.length && name.endsWith(zone) && name[name.length - zone.length - 1] === ".";
}

/** One entry of a zone filter, already split on commas and free of spaces. */
export function parsePattern(entry: string, { policy = true }: FilterRules = {}): Result<Pattern, ZoneFilterError> {
  // canonicalName forgives one trailing dot in a name to match; a stored pattern must not have it.
  if (hasRootDot(entry)) return invalidZoneFilter("trailing_dot", `Zone filter pattern '${entry}' has a trailing dot`);
  const canonical = canonicalName(entry);
  if (!canonical.ok) {
    return invalidZoneFilter(filterCode(canonical.error.code), `Zone filter pattern '${entry}' ${canonical.error.reason}`);
  }
  const text = canonical.value;
  const type: PatternType = text.startsWith("*.") ? "wildcard" : "exact";
  const zone = type === "wildcard" ? text.slice(2) : text;
  if (policy && isPublicSuffix(zone)) {
    const what = type === "exact" ? "is a public suffix" : `covers the public suffix '${zone}'`;
    return invalidZoneFilter("public_suffix", `Zone filter pattern '${entry}' ${what} and would match every customer's domains`);
  }
  return ok({ type, zone, text, specificity: zone.split(".").length });
}

// parseZoneFilter rejects empty entries first, so an empty name here cannot come from a filter.
function filterCode(code: NameErrorCode): ZoneFilterErrorCode {
  return code === "empty_name" ? "empty_entry" : code;
}
