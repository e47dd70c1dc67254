import type { ZoneFilter } from "./filter.js";
import { forEachCandidateZone } from "./probe.js";
import { claimOf, selectionFrom, type Claim, type Selection } from "./select.js";
import { SuffixHash, suffixHashKey } from "./suffix-hash.js";

/** What the index holds for one zone: the patterns on it, and whether any lie deeper. */
interface ZoneEntry<C> {
  zone: string;
  // Most zones hold one pattern, or none (the parents of deeper zones). Keeping the first one in
  // the entry saves a lookup one memory access in a large index, which is most of its cost there.
  claim: Claim<C> | undefined;
  moreClaims: Array<Claim<C>>;
  deeper: boolean;
  /** The next zone with the same hash key. */
  next: ZoneEntry<C> | undefined;
}

// Shared by every entry with at most one claim, so that those hold no array of their own.
const NO_CLAIMS: never[] = [];

/**
 * The credentials of one provider, indexed by the zones of their patterns (spec §9). A lookup
 * walks the name's zones from its top-level label down, hashing each in place, and stops at the
 * first zone under which nothing is stored: one probe per label at most, whatever the number of
 * credentials. Give it only the credentials that may be selected: the enabled ones of one provider.
 */
export class ZoneIndex<C extends { id: number }> {
  /** How many credentials the index was built from, deprecated ones included. */
  readonly size: number;
  // Keyed by hash rather than by zone: a lookup then never slices the name it is given.
  readonly #zones = new Map<number, ZoneEntry<C>>();
  readonly #catchAlls: Array<Claim<C>> = [];

  constructor(credentials: Iterable<{ credential: C; filter: ZoneFilter }>) {
    const entries = new Map<string, ZoneEntry<C>>();
    let size = 0;
    for (const { credential, filter } of credentials) {
      size++;
      if (filter.kind === "catch_all") this.#catchAlls.push(claimOf({ credential, pattern: null }));
      if (filter.kind !== "patterns") continue; // A deprecated filter matches nothing (spec §2).
      for (const pattern of filter.patterns) addClaim(entries, pattern.zone, claimOf({ credential, pattern }));
    }
    for (const entry of entries.values()) {
      const key = suffixHashKey(entry.zone);
      entry.next = this.#zones.get(key);
      this.#zones.set(key, entry);
    }
    this.size = size;
  }

  /** The credential for a normalised name, with every candidate (spec §4, §8). */
  select(name: string): Selection<C> {
    const matches: Array<Claim<C>> = [];
    const hash = new SuffixHash();
    let hashedFrom = name.length;
    forEachCandidateZone(name, (start, wildcardMatches) => {
      hash.prepend(name, hashedFrom, start);
      hashedFrom = start;
      const entry = this.#entryAt(name, start, hash.key);
      if (entry === undefined) return false;
      collectClaims(entry, wildcardMatches, matches);
      return entry.deeper;
    });
    for (const catchAll of this.#catchAlls) matches.push(catchAll);
    return selectionFrom(name, matches);
  }

  /** The entry of the zone `name.slice(start)`, whose hash key is `key`. */
  #entryAt(name: string, start: number, key: number): ZoneEntry<C> | undefined {
    let entry = this.#zones.get(key);
    while (entry !== undefined && !(entry.zone.length === name.length - start && name.endsWith(entry.zone))) {
      entry = entry.next;
    }
    return entry;
  }
}

function collectClaims<C>(entry: ZoneEntry<C>, wildcardMatches: boolean, into: Array<Claim<C>>): void {
  const { claim } = entry;
  if (claim !== undefined && (wildcardMatches || claim.matchType === "exact")) into.push(claim);
  for (const more of entry.moreClaims) {
    if (wildcardMatches || more.matchType === "exact") into.push(more);
  }
}

/** Files `claim` under its zone, and marks each parent zone as having something deeper. */
function addClaim<C>(entries: Map<string, ZoneEntry<C>>, zone: string, claim: Claim<C>): void {
  const entry = entryFor(entries, zone);
  if (entry.claim === undefined) entry.claim = claim;
  else if (entry.moreClaims === NO_CLAIMS) entry.moreClaims = [claim];
  else entry.moreClaims.push(claim);
  for (let dot = zone.indexOf("."); dot !== -1; dot = zone.indexOf(".", dot + 1)) {
    entryFor(entries, zone.slice(dot + 1)).deeper = true;
  }
}

function entryFor<C>(entries: Map<string, ZoneEntry<C>>, zone: string): ZoneEntry<C> {
  let entry = entries.get(zone);
  if (entry === undefined) {
    entry = { zone, claim: undefined, moreClaims: NO_CLAIMS, deeper: false, next: undefined };
    entries.set(zone, entry);
  }
  return entry;
}
