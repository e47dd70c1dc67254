import type { Pattern } from "./pattern.js";
import { registrableDomain } from "./registrable.js";

export type MatchType = "exact" | "wildcard" | "catch_all";

/** A credential whose filter matches a name, through `pattern` or, when null, as the catch-all. */
export interface Match<C> {
  credential: C;
  pattern: Pattern | null;
}

export interface Candidate {
  credentialId: number;
  /** The pattern's canonical text; "" (the catch-all's filter) for the catch-all. */
  pattern: string;
  matchType: MatchType;
  /** Labels of the pattern's zone; 0 for the catch-all. */
  specificity: number;
}

/** The data behind spec §8's `/match` answer: the credential chosen for a name, and why. */
export interface Selection<C> {
  domain: string;
  /** The registrable domain (spec §5), for messages. */
  zone: string | null;
  credential: C | null;
  /** As in Candidate; null when nothing matches. */
  matchedPattern: string | null;
  matchType: MatchType | null;
  /** Every match, best first: the order the rules of spec §4 rank them in. */
  candidates: Candidate[];
}

/**
 * A match as the ranking sees it: everything it compares and reports inline, so that ranking
 * reads one object per match. ZoneIndex builds these once; lookups only collect them.
 */
export interface Claim<C> extends Candidate {
  credential: C;
}

/**
 * Spec §4: the most specific pattern wins, exact before wildcard at equal specificity, the
 * catch-all only when nothing else matches.
 */
export function chooseCredential<C extends { id: number }>(name: string, matches: Array<Match<C>>): Selection<C> {
  return selectionFrom(name, matches.map(claimOf));
}

/** Spec §4's error when no credential matches. */
export function noMatchMessage(providerType: string, zone: string): string {
  return `No credential found for provider '${providerType}' and zone '${zone}'`;
}

export function claimOf<C extends { id: number }>({ credential, pattern }: Match<C>): Claim<C> {
  return pattern === null
    ? { credential, credentialId: credential.id, pattern: "", matchType: "catch_all", specificity: 0 }
    : { credential, credentialId: credential.id, pattern: pattern.text, matchType: pattern.type, specificity: pattern.specificity };
}

/** Ranks `claims` in place and describes the winner. */
export function selectionFrom<C>(name: string, claims: Array<Claim<C>>): Selection<C> {
  claims.sort(byRank);
  const best = claims[0];
  return {
    domain: name,
    zone: registrableDomain(name),
    credential: best === undefined ? null : best.credential,
    matchedPattern: best === undefined ? null : best.pattern,
    matchType: best === undefined ? null : best.matchType,
    candidates: claims.map(({ credentialId, pattern, matchType, specificity }) => ({ credentialId, pattern, matchType, specificity })),
  };
}

const TYPE_ORDER: Record<MatchType, number> = { exact: 0, wildcard: 1, catch_all: 2 };

// Validation (spec §6) rules out ties between credentials; should one occur anyway, the lowest
// credential id wins, so that the choice never depends on the order credentials were listed in.
function byRank(a: Candidate, b: Candidate): number {
  return (
    b.specificity - a.specificity ||
    TYPE_ORDER[a.matchType] - TYPE_ORDER[b.matchType] ||
    a.credentialId - b.credentialId
  );
}
