export * from "./errors.js";
export type { SecretStore, SecretValue, StoredSecretInfo } from "./ports/secret-store.js";
export { systemClock, type Clock } from "./ports/clock.js";
export * from "./access/permissions.js";
export {
  certificateFor,
  certificateSummaryFor,
  wafStatusFor,
  type CertificateView,
  type CredentialReference,
  type EmbeddedCertificateSummary,
  type ProviderReference,
  type WafStatusView,
} from "./access/embedded.js";
export { TOKEN_PREFIX, type ApiToken, type NewApiToken, type TokenRequest, type IssuedToken } from "./tokens/token.js";
export type { ApiTokenRepository, AuthFailureCounter } from "./tokens/repository.js";
export { TokenService, hashToken, LAST_USED_RESOLUTION_MS, type SessionOptions } from "./tokens/service.js";
export {
  DEFAULT_SESSION_LIFETIME_SECONDS,
  SESSION_ENDED_MESSAGE,
  type ActiveSession,
  type OpenedSession,
  type Session,
  type SessionRepository,
} from "./tokens/session.js";
export { AuthFailureThrottle, defaultAuthFailureLimits, type AuthFailureLimits } from "./tokens/auth-failures.js";
export { normaliseDomainNames } from "./names.js";
export * from "./proxy-hosts/proxy-host.js";
export { FORWARD_PATH, canonicalForwardHost } from "./proxy-hosts/upstream.js";
export type { ProxyHostRepository } from "./proxy-hosts/repository.js";
export { ProxyHostService, type ProxyHostDetails, type NewProxyHost } from "./proxy-hosts/service.js";
export * from "./certificates/certificate.js";
export type { CertificateRepository } from "./certificates/repository.js";
export {
  LeaseLostError,
  type IssuanceOrder,
  type IssuanceRepository,
  type IssuedFields,
  type IssuedMaterial,
  type OrderChallenge,
} from "./certificates/order.js";
export { CertificateService, type CertificateFiles, type CertificateIssuance } from "./certificates/service.js";
export * from "./certificates/renewal.js";
export {
  RenewalService,
  RENEWAL_ACTOR,
  validityOf,
  type FailedAuthorizations,
  type RenewalIndex,
  type RenewalInformationSource,
  type RenewalLogger,
  type RenewalStarter,
  type SweepResult,
} from "./certificates/renewals.js";
export * from "./settings/settings.js";
export type { SettingsRepository } from "./settings/repository.js";
export { SettingsService } from "./settings/service.js";
export * from "./security/crowdsec-decision.js";
export type { CrowdSecDecisionRepository } from "./security/repository.js";
export { SecurityService, wafStatus, type WafStatus, type WafHost, type HostWafMode } from "./security/service.js";
export { auditEntry, type AuditEntry, type Actor } from "./audit/entry.js";
export type {
  DnsChallengeDirectory,
  NameCredential,
  ProviderSummary,
} from "./dns-providers/challenge-directory.js";
export { SecretStoreError, SecretAlreadyExistsError } from "./ports/secret-store-errors.js";
export { DnsProviderError, type DnsProviderFailure } from "./ports/dns-provider-errors.js";
export type {
  CredentialCheck,
  DnsCredentialField,
  DnsProviderClient,
  DnsProviderClientFactory,
  DnsProviderType,
  TxtChange,
  DnsProviderTypeName,
  DnsZone,
} from "./ports/dns-provider.js";
export type { Page, PageRequest } from "./ports/page.js";
export { DNS_PROVIDER_TYPE_NAMES } from "./ports/dns-provider.js";
export { OutboundRefusedError, type OutboundPolicy } from "./ports/outbound.js";
export type { DnsProviderCatalog } from "./dns-providers/catalog.js";
export {
  primaryCredentialName,
  MIGRATED_DESCRIPTION,
  type DnsProvider,
  type ProviderSelection,
} from "./dns-providers/provider.js";
export type { DnsChange, DnsProviderRepository } from "./dns-providers/repository.js";
export {
  DnsProviderService,
  type NewProviderInput,
  type ProviderPatch,
  type ProviderView,
} from "./dns-providers/service.js";
export {
  DnsDirectory,
  type ChallengeOutcome,
  type ChallengeOutcomeRecorder,
  type MatchExplanation,
} from "./dns-providers/directory.js";
export {
  claimsOf,
  nameKey,
  successRate,
  type CredentialStats,
  type CredentialTestStatus,
  type DnsCredential,
} from "./credentials/credential.js";
export { CredentialInUseError, claimConflict, type TakenClaim } from "./credentials/errors.js";
export type { ClaimHolder, CredentialRepository, SelectionClaims } from "./credentials/repository.js";
export type { CredentialUsage, UsageMove } from "./credentials/usage.js";
export type { Reassignment } from "./credentials/reassignment.js";
export {
  CredentialService,
  type CredentialPatch,
  type CredentialWarning,
  type NewCredentialInput,
  type SavedCredential,
} from "./credentials/service.js";
export type { CredentialTestResult } from "./credentials/tester.js";
export { redactSecrets } from "./credentials/redaction.js";
export type { ProviderStatistics } from "./credentials/statistics.js";
export { CREDENTIAL_SECRET_PREFIX, credentialSecretName } from "./credentials/secrets.js";
export { sweepOrphanSecrets, ORPHAN_MIN_AGE_MS, type SweepReport } from "./credentials/sweeper.js";
export {
  AuditLogService,
  DEFAULT_AUDIT_WINDOW_DAYS,
  type AuditLogFilter,
  type AuditLogRepository,
  type ResolvedAuditLogFilter,
} from "./audit/log.js";
export {
  MAX_DELAY_SECONDS,
  wholeDelaySeconds,
  parseWorkMessage,
  type WorkHandler,
  type WorkLogger,
  type WorkMessage,
  type WorkQueue,
} from "./ports/work-queue.js";
export { KeySealError, type KeySealer } from "./ports/key-sealer.js";
export type { ChallengeRecord, Dns01Solver, NameServerAnswer, PresentReceipt, PropagationState } from "./ports/dns01.js";
export type { RecordLeases } from "./ports/record-lease.js";
export { LETS_ENCRYPT_NEW_ORDERS, type BucketShape, type DnsProviderSlots, type NewOrderBudget } from "./ports/issuance-limits.js";
export { ChallengeCredentials, type ConnectedCredential } from "./dns-providers/challenge-credentials.js";
export type {
  AgentKey,
  AgentReport,
  AgentSnapshot,
  HostApplyReport,
  HostProblem,
  SnapshotCertificate,
  SnapshotHost,
  StoredAgentReport,
} from "./agents/agent.js";
export type { AgentReportRepository, DesiredStateMark, DesiredStateVersion } from "./agents/repository.js";
export { AgentService, SNAPSHOT_MARK_MAX_AGE_MS, type AgentStatus } from "./agents/service.js";
export * from "./agents/edge-state.js";
export { AGENT_REPORT_LIMITS } from "./agents/agent.js";
export * from "./notifications/subscription.js";
export type { NotificationRepository } from "./notifications/repository.js";
export {
  NotificationService,
  WEBHOOK_SECRET_PREFIX,
  signatureHeaders,
  type DeliveryMessage,
  type NotificationPublisher,
  type PublishMessage,
  type SavedSubscription,
} from "./notifications/service.js";
export { AlertingOutcomeRecorder, certificateOutcomeEvent, crossedBelow } from "./notifications/events.js";
export { lowSuccessRateMessage, LOW_SUCCESS_RATE } from "./credentials/statistics.js";
export type { AgentKeySealer } from "./ports/agent-key-sealer.js";
export {
  certificateOverview,
  everyCertificate,
  MAX_CERTIFICATES_READ,
  type CertificateListing,
  type ExpiryIndex,
  type CertificateOverview,
} from "./certificates/overview.js";
