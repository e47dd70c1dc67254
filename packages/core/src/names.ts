import { normaliseName } from "@charon/zones";
import { ValidationError } from "./errors.js";

/**
 * A request's list of domain names in canonical form (zone-matching spec §1); 400 naming the
 * field for an invalid name or a name listed twice (after normalising: `A.com` and `a.com.`).
 */
export function normaliseDomainNames(field: string, input: string[]): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const [index, raw] of input.entries()) {
    const result = normaliseName(raw);
    if (!result.ok) throw new ValidationError(`${field}.${index}: ${result.error.details}`, result.error.title);
    if (seen.has(result.value)) {
      throw new ValidationError(`${field}: '${result.value}' is listed more than once`);
    }
    seen.add(result.value);
    names.push(result.value);
  }
  return names;
}
