import { ValidationError, type DnsProviderType } from "@charon/core";

const TITLE = "Invalid credentials";

/**
 * Canonical credentials from either spelling: the credentials API's field names (`api_token`)
 * or the ACME client's environment names used in `meta` (`CF_API_TOKEN`). Exactly one credential
 * set must be complete, and no field of another set may be mixed in; fields outside every set
 * (region, server id, …) are optional. Values are trimmed and must not be empty. Messages name
 * fields, never values.
 */
export function normaliseWith(descriptor: DnsProviderType, input: unknown): Record<string, string> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new ValidationError(`Credentials for provider '${descriptor.type}' must be an object`, TITLE);
  }
  const result: Record<string, string> = {};
  const spelledAs = new Map<string, string>();
  for (const [key, raw] of Object.entries(input as Record<string, unknown>)) {
    const field = descriptor.fields.find((f) => f.name === key || f.envName === key);
    if (!field) {
      throw new ValidationError(`Unknown credential field '${key}' for provider '${descriptor.type}'`, TITLE);
    }
    const earlier = spelledAs.get(field.name);
    if (earlier !== undefined) {
      throw new ValidationError(
        `Credential field '${field.name}' is given twice ('${earlier}' and '${key}')`,
        TITLE,
      );
    }
    if (typeof raw !== "string") {
      throw new ValidationError(`Credential field '${key}' must be a string`, TITLE);
    }
    const value = raw.trim();
    if (value === "") {
      throw new ValidationError(`Credential field '${key}' must not be empty`, TITLE);
    }
    spelledAs.set(field.name, key);
    result[field.name] = value;
  }

  const complete = descriptor.credentialSets.filter((set) => set.every((name) => name in result));
  if (complete.length === 0) {
    throw new ValidationError(`${descriptor.label} needs ${describeSets(descriptor)}`, TITLE);
  }
  const chosen = complete[0] ?? [];
  const stray = descriptor.credentialSets.flat().filter((name) => name in result && !chosen.includes(name));
  if (complete.length > 1 || stray.length > 0) {
    throw new ValidationError(
      `${descriptor.label} takes ${describeSets(descriptor)}, not a mix of them (got ${Object.keys(result)
        .filter((name) => descriptor.credentialSets.some((set) => set.includes(name)))
        .join(", ")})`,
      TITLE,
    );
  }
  return result;
}

/** "api_token, or api_key and email". */
export function describeSets(descriptor: DnsProviderType): string {
  return descriptor.credentialSets.map((set) => joinAnd(set)).join(", or ");
}

function joinAnd(names: string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/** The credentials without their secret fields: what may be shown, logged or exported. */
export function publicFieldsWith(
  descriptor: DnsProviderType,
  credentials: Record<string, string>,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const field of descriptor.fields) {
    const value = credentials[field.name];
    if (!field.secret && value !== undefined) result[field.name] = value;
  }
  return result;
}

/** The values of the secret fields, for scrubbing messages. */
export function secretValuesWith(descriptor: DnsProviderType, credentials: Record<string, string>): string[] {
  return descriptor.fields
    .filter((field) => field.secret)
    .map((field) => credentials[field.name])
    .filter((value): value is string => value !== undefined);
}
