import type {
  DnsProviderClientFactory,
  DnsProviderType,
  DnsProviderTypeName,
} from "../ports/dns-provider.js";

/**
 * The DNS provider types Charon supports, as the core needs them: descriptors (fields, which
 * are secret, both spellings), credential validation, and clients. `@charon/dns` implements it;
 * the entry points bind it to their endpoints.
 */
export interface DnsProviderCatalog {
  readonly types: readonly DnsProviderType[];
  /**
   * Canonical credentials (`api_token`) from either spelling (`api_token` or `CF_API_TOKEN`);
   * ValidationError naming unknown or missing fields, never values.
   */
  normaliseCredentials(type: DnsProviderTypeName, input: unknown): Record<string, string>;
  createClient: DnsProviderClientFactory;
}
