import { normaliseName } from "@charon/zones";
import { ValidationError } from "./errors.js";

/**
 * A request's list of domain names in canonical form (zone-matching spec §1), each once: names
 * equal after normalising (`A.com` and `a.com.`) are one name, kept where it first appears, as
 * certbot and lego take `-d a.com -d A.com`. 400 naming the field for an invalid name.
 */
export function normaliseDomainNames(field: string, input: string[]): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const [index, raw] of input.entries()) {
    const result = normaliseName(raw);
    if (!result.ok) throw new ValidationError(`${field}.${index}: ${result.error.details}`, result.error.title);
    if (seen.has(result.value)) continue;
    seen.add(result.value);
    names.push(result.value);
  }
  return names;
}
