import { ConflictError, ValidationError } from "../errors.js";
import type { DnsProviderType, DnsProviderTypeName } from "../ports/dns-provider.js";
import type { SecretValue } from "../ports/secret-store.js";
import type { DnsProviderCatalog } from "./catalog.js";

/** The descriptor of a provider type; 400 naming the supported types for anything else. */
export function providerType(catalog: DnsProviderCatalog, type: string): DnsProviderType {
  const descriptor = catalog.types.find((t) => t.type === type);
  if (descriptor) return descriptor;
  const supported = catalog.types.map((t) => t.type).join(", ");
  throw new ValidationError(
    `Unknown DNS provider type '${type}'; supported types: ${supported}`,
    "Invalid DNS provider type",
  );
}

/**
 * `normaliseCredentials` for a stored provider. Fields that make a valid credential of another
 * type are a ConflictError: the request is sound (the document takes any type's fields, as the
 * path, not the body, says which provider), the provider's stored type is what does not take them
 * (docs/decisions/0018). Anything else keeps its ValidationError.
 */
export function credentialsOfProvider(
  catalog: DnsProviderCatalog,
  provider: { id: number; type: DnsProviderTypeName },
  field: string,
  input: unknown,
): Record<string, string> {
  try {
    return catalog.normaliseCredentials(provider.type, input);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const other = catalog.types.find((t) => t.type !== provider.type && takes(catalog, t.type, input));
    if (other === undefined) throw error;
    throw new ConflictError(
      `${field}: these are ${other.label} credential fields, and DNS provider ${provider.id} is ${providerType(catalog, provider.type).label}: ${error.details}`,
    );
  }
}

function takes(catalog: DnsProviderCatalog, type: DnsProviderTypeName, input: unknown): boolean {
  try {
    catalog.normaliseCredentials(type, input);
    return true;
  } catch {
    return false;
  }
}

/**
 * Canonical credentials split by the descriptor: secret fields go to the SecretStore, the rest
 * (region, server id, …) are plain settings stored with the credential.
 */
export function splitCredentials(
  descriptor: DnsProviderType,
  values: Record<string, string>,
): { secret: SecretValue; settings: Record<string, string> } {
  const secret: SecretValue = {};
  const settings: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    const field = descriptor.fields.find((f) => f.name === name);
    if (field?.secret === false) settings[name] = value;
    else secret[name] = value;
  }
  return { secret, settings };
}

/** A display name: trimmed, not empty, bounded. */
export function trimmedName(name: string, maxLength: number): string {
  const trimmed = name.trim();
  if (trimmed === "") throw new ValidationError("name: must not be empty");
  if (trimmed.length > maxLength) throw new ValidationError(`name: must be at most ${maxLength} characters`);
  return trimmed;
}
