export { tableSchema, type GlobalIndexName } from "./dynamodb/schema.js";
export { ensureTable } from "./dynamodb/create-table.js";
export { createDynamoTable } from "./dynamodb/client.js";
export {
  DynamoTable,
  TransactionConflict,
  ConditionFailed,
  type Item,
  type Key,
  type Page,
  type TransactItem,
  type Condition,
} from "./dynamodb/table.js";
export { DynamoApiTokenRepository } from "./repositories/api-tokens.js";
export { auditEntryPut } from "./repositories/audit-entries.js";
export {
  credentialKey,
  usageKey,
  usagePut,
  usageDelete,
  usageCountChange,
  type CredentialUsage,
} from "./repositories/credential-usage.js";export {
  SecretsManagerSecretStore,
  type SecretsManagerSecretStoreOptions,
} from "./secrets-manager/secret-store.js";
export { SecretsManagerError, MalformedSecretError } from "./secrets-manager/errors.js";
