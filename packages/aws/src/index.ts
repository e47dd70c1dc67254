export { tableSchema, type GlobalIndexName } from "./dynamodb/schema.js";
export { ensureTable } from "./dynamodb/create-table.js";
export { createDynamoTable } from "./dynamodb/client.js";
export {
  DynamoTable,
  TransactionConflict,
  ConditionFailed,
  type Item,
  type Key,
  type TransactItem,
  type Condition,
} from "./dynamodb/table.js";
export { DynamoApiTokenRepository, DynamoAuthFailureCounter } from "./repositories/api-tokens.js";
export { DynamoSessionRepository } from "./repositories/sessions.js";
export { DynamoProxyHostRepository } from "./repositories/proxy-hosts.js";
export { DynamoCertificateRepository, DynamoIssuanceRepository, certificateKey, certificateFromItem } from "./repositories/certificates.js";
export { DynamoRenewalIndex, DynamoExpiryIndex, DynamoFailedAuthorizations, RENEWAL_SHARDS, expiryItem, renewalIndexKeys } from "./repositories/renewals.js";
export { DynamoSettingsRepository } from "./repositories/settings.js";
export { DynamoNotificationRepository } from "./repositories/notifications.js";
export { DynamoCrowdSecDecisionRepository } from "./repositories/crowdsec-decisions.js";
export { DynamoAgentReportRepository } from "./repositories/agent-reports.js";
export { DynamoDesiredStateVersion } from "./repositories/desired-state.js";
export { auditEntryPut } from "./repositories/audit-entries.js";
export {
  credentialKey,
  usageKey,
  usagePut,
  usageDelete,
  usageCountChange,
  usageMove,
} from "./repositories/credential-usage.js";
export { createSecretsManagerStore } from "./secrets-manager/client.js";
export {
  SecretsManagerSecretStore,
  type SecretsManagerSecretStoreOptions,
} from "./secrets-manager/secret-store.js";
export { SecretsManagerError, MalformedSecretError } from "./secrets-manager/errors.js";
export { DynamoDnsProviderRepository } from "./repositories/dns-providers.js";
export { DynamoCredentialRepository } from "./repositories/credentials.js";
export { DynamoAuditLog, READS_PER_PAGE as AUDIT_READS_PER_PAGE } from "./repositories/audit-log.js";
export * from "./sqs/index.js";
export { DynamoRecordLeases } from "./repositories/record-leases.js";
export { DynamoDnsProviderSlots, DynamoNewOrderBudget } from "./repositories/issuance-limits.js";
export * from "./kms/index.js";
