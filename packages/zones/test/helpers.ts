import { parseZoneFilter, type ZoneFilter } from "@charon/zones";

export interface TestCredential {
  id: number;
  name: string;
}

/** Credentials from `name: filter` pairs, numbered from 1 in the order given. */
export function credentials(...entries: Array<[string, string]>): Array<{ credential: TestCredential; filter: ZoneFilter }> {
  return entries.map(([name, text], index) => ({ credential: { id: index + 1, name }, filter: filter(text) }));
}

export function filter(text: string): ZoneFilter {
  const result = parseZoneFilter(text);
  if (!result.ok) throw new Error(result.error.details);
  return result.value;
}
