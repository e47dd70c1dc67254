/**
 * Which stored patterns could match a name. The storage layer fetches pattern claims by
 * probeKeys; ZoneIndex walks the same zones with forEachCandidateZone, hashing them in place and
 * stopping where nothing is stored deeper. Either way a lookup costs at most a couple of probes per
 * label of the name, however many credentials there are (spec §9).
 */

/**
 * Calls `visit` with the start of every zone (`name.slice(start)`) whose patterns could match the
 * normalised `name`: from its top-level label down to the name itself (less a leading `*.`), for
 * as long as `visit` returns true. Exact patterns match at each of these zones. Wildcards do too,
 * except at the name itself: `*.z` never matches `z`, but does match the requested wildcard `*.z`.
 */
export function forEachCandidateZone(name: string, visit: (start: number, wildcardMatches: boolean) => boolean): void {
  const requestedWildcard = name.startsWith("*.");
  const nameStart = requestedWildcard ? 2 : 0;
  for (let dot = name.lastIndexOf("."); dot > nameStart; dot = name.lastIndexOf(".", dot - 1)) {
    if (!visit(dot + 1, true)) return;
  }
  visit(nameStart, requestedWildcard);
}

/**
 * The canonical texts of every pattern that could match the normalised `name`, most specific
 * first and exact before wildcard: `a.example.com` → `a.example.com`, `example.com`,
 * `*.example.com`, `com`, `*.com`.
 */
export function probeKeys(name: string): string[] {
  const keys: string[] = [];
  forEachCandidateZone(name, (start, wildcardMatches) => {
    const zone = name.slice(start);
    if (wildcardMatches) keys.push(`*.${zone}`);
    keys.push(zone);
    return true;
  });
  return keys.reverse();
}
