import type { ZoneFilter } from "./filter.js";
import type { Pattern } from "./pattern.js";

/** Another credential of the same provider, as the checks of spec §6 see it. */
export interface OtherCredential {
  id: number;
  filter: ZoneFilter;
}

/** A reason for spec §6's 409: the pattern ("" for a catch-all) is held by `credentialId`. */
export interface Conflict {
  credentialId: number;
  pattern: string;
  message: string;
}

/** Spec §6's warning for patterns that share names with another credential's. */
export interface OverlapWarning {
  code: "overlap";
  message: string;
  credentialId: number;
  /** The pattern of the filter being saved. */
  pattern: string;
}

/**
 * Spec §6: the patterns of `candidate` already held by another credential, and a second
 * catch-all. `others` are the provider's other enabled credentials (never the one being saved).
 */
export function findConflicts(candidate: ZoneFilter, others: readonly OtherCredential[]): Conflict[] {
  if (candidate.kind === "catch_all") {
    return others
      .filter((other) => other.filter.kind === "catch_all")
      .map((other) => ({
        credentialId: other.id,
        pattern: "",
        message: "Zone filter '' (catch-all) conflicts with existing credential",
      }));
  }
  const holders = new Map<string, number[]>();
  for (const other of others) {
    for (const theirs of patternsOf(other.filter)) {
      const ids = holders.get(theirs.text);
      if (ids === undefined) holders.set(theirs.text, [other.id]);
      else ids.push(other.id);
    }
  }
  return patternsOf(candidate).flatMap((mine) =>
    (holders.get(mine.text) ?? []).map((credentialId) => ({
      credentialId,
      pattern: mine.text,
      message: `Zone filter '${mine.text}' conflicts with existing credential`,
    })),
  );
}

/**
 * Spec §6: the candidate's patterns whose names intersect another credential's (allowed, but
 * reported). Two patterns share names exactly when their zones are equal or one lies under the
 * other; identical patterns are conflicts instead, and the catch-all overlaps nothing.
 */
export function findOverlaps(candidate: ZoneFilter, others: readonly OtherCredential[]): OverlapWarning[] {
  const warnings: OverlapWarning[] = [];
  for (const mine of patternsOf(candidate)) {
    for (const other of others) {
      for (const theirs of patternsOf(other.filter)) {
        if (mine.text === theirs.text || !nested(mine.zone, theirs.zone)) continue;
        warnings.push({
          code: "overlap",
          message:
            `Zone filter pattern '${mine.text}' overlaps '${theirs.text}' of credential ${other.id}: ` +
            "where both match, the more specific pattern wins, exact before wildcard",
          credentialId: other.id,
          pattern: mine.text,
        });
      }
    }
  }
  return warnings;
}

function patternsOf(filter: ZoneFilter): Pattern[] {
  return filter.kind === "patterns" ? filter.patterns : [];
}

function nested(a: string, b: string): boolean {
  return a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`);
}
