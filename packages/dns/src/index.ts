export {
  createDnsProviderClient,
  dnsProviderClientFactory,
  dnsProviderTypes,
  getDnsProviderType,
  isDnsProviderType,
  normaliseCredentials,
  publicCredentialFields,
} from "./registry.js";
export { DnsProviderError, type DnsProviderFailure } from "./errors.js";
export type { DnsClientOptions } from "./options.js";
