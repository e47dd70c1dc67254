import { matchPattern, registrableDomain, type Candidate, type Selection, type ZoneFilter } from "@charon/zones";

/**
 * The rules of spec §3 and §4 applied literally: every pattern of every credential is tried, and
 * the matches are ranked by a score written independently of chooseCredential. It is the oracle of
 * the property tests and the linear scan of the benchmark.
 */
export function referenceSelect<C extends { id: number }>(
  credentials: ReadonlyArray<{ credential: C; filter: ZoneFilter }>,
  name: string,
): Selection<C> {
  const found: Array<{ credential: C; candidate: Candidate; score: number }> = [];
  for (const { credential, filter } of credentials) {
    if (filter.kind === "catch_all") {
      const candidate: Candidate = { credentialId: credential.id, pattern: "", matchType: "catch_all", specificity: 0 };
      found.push({ credential, candidate, score: -1 });
    }
    if (filter.kind !== "patterns") continue;
    for (const pattern of filter.patterns) {
      if (!matchPattern(pattern, name)) continue;
      const candidate: Candidate = {
        credentialId: credential.id,
        pattern: pattern.text,
        matchType: pattern.type,
        specificity: pattern.specificity,
      };
      // Specificity first; at equal specificity exact (odd) above wildcard (even).
      found.push({ credential, candidate, score: pattern.specificity * 2 + (pattern.type === "exact" ? 1 : 0) });
    }
  }
  found.sort((a, b) => b.score - a.score || a.credential.id - b.credential.id);
  const best = found[0];
  return {
    domain: name,
    zone: registrableDomain(name),
    credential: best?.credential ?? null,
    matchedPattern: best?.candidate.pattern ?? null,
    matchType: best?.candidate.matchType ?? null,
    candidates: found.map((f) => f.candidate),
  };
}
