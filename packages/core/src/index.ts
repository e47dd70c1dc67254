export * from "./errors.js";
export type { SecretStore, SecretValue, StoredSecretInfo } from "./ports/secret-store.js";
export { systemClock, type Clock } from "./ports/clock.js";
export * from "./access/permissions.js";
export type { ApiToken, NewApiToken } from "./tokens/token.js";
export type { ApiTokenRepository } from "./tokens/repository.js";
export { TokenService, hashToken } from "./tokens/service.js";
export { auditEntry, type AuditEntry, type Actor } from "./audit/entry.js";
export type {
  DnsChallengeDirectory,
  NameCredential,
  ProviderSummary,
} from "./dns-providers/challenge-directory.js";
export { SecretStoreError, SecretAlreadyExistsError } from "./ports/secret-store-errors.js";
export type {
  CredentialCheck,
  DnsCredentialField,
  DnsProviderClient,
  DnsProviderClientFactory,
  DnsProviderType,
  DnsProviderTypeName,
  DnsZone,
} from "./ports/dns-provider.js";
