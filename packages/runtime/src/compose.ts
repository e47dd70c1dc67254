import {
  AgentService,
  AuditLogService,
  ChallengeCredentials,
  AuthFailureThrottle,
  CredentialService,
  DnsDirectory,
  DnsProviderService,
  CertificateService,
  NotificationService,
  ProxyHostService,
  RenewalService,
  SecurityService,
  SettingsService,
  TokenService,
  systemClock,
  type AuthFailureLimits,
  type Clock,
  type DnsProviderCatalog,
  type SecretStore,
  type WorkQueue,
} from "@charon/core";
import {
  DynamoAgentReportRepository,
  DynamoDesiredStateVersion,
  DynamoApiTokenRepository,
  DynamoAuditLog,
  DynamoSessionRepository,
  DynamoCredentialRepository,
  DynamoDnsProviderRepository,
  DynamoAuthFailureCounter,
  DynamoCertificateRepository,
  DynamoCrowdSecDecisionRepository,
  DynamoFailedAuthorizations,
  DynamoIssuanceRepository,
  DynamoRenewalIndex,
  DynamoExpiryIndex,
  certificateFromItem,
  DynamoProxyHostRepository,
  DynamoSettingsRepository,
  DynamoNotificationRepository,
  type DynamoTable,
} from "@charon/aws";
import type { Issuer } from "@charon/acme";
import type { IssuanceAdapters, createIssuer } from "./issuance.js";
import { createOutboundPolicy } from "@charon/outbound";
import { joseAgentKeySealer } from "./agent-key-sealer.js";
import { dnsProviderClientFactory, dnsProviderTypes, normaliseCredentials, type DnsClientOptions } from "@charon/dns";

/**
 * Every service the entry points use: the API's routes, the worker's handlers, the scheduler's
 * sweeps. Built once per process by `createServices`; nothing in it knows about HTTP.
 */
export interface AppServices {
  tokens: TokenService;
  proxyHosts: ProxyHostService;
  certificates: CertificateService;
  settings: SettingsService;
  security: SecurityService;
  dnsProviders: DnsProviderService;
  credentials: CredentialService;
  dnsDirectory: DnsDirectory;
  auditLog: AuditLogService;
  /** The proxy agents' snapshot and reports (issue 11). */
  agents: AgentService;
  /** Webhook subscriptions, the fan-out of events to them and their deliveries (issue 10 §4). */
  notifications: NotificationService;
  /** Where work that must wait or run apart from a request is sent (`certificate.advance`). */
  workQueue: WorkQueue;
  /** DNS-01's seam: credential → secret → provider client → hosted zone. */
  challengeCredentials: ChallengeCredentials;
  /** Runs certificates' orders (`certificate.advance`); absent when the entry point gave no issuance adapters. */
  issuer?: LazyIssuer;
  /** The renewal sweep and "renew now" (issue 10); absent without issuance adapters. */
  renewals?: RenewalService;
}

/** The adapters an entry point chooses; everything else is wired the same everywhere. */
export interface Adapters {
  table: DynamoTable;
  clock?: Clock;
  /** Failed-authentication budget per client address (tests raise or lower it). */
  authFailureLimits?: AuthFailureLimits;
  /** How long a console session lasts after sign-in (CHARON_SESSION_LIFETIME_MINUTES); 8 hours unless given. */
  sessionLifetimeSeconds?: number;
  /** Where DNS credentials' secret fields live. Without one, any use of a secret fails. */
  secrets?: SecretStore;
  /** DNS provider API base URLs (CHARON_CLOUDFLARE_API_URL, …) and time-outs. */
  dnsClientOptions?: DnsClientOptions;
  /** SQS on AWS, the in-process queue under `npm start`. Without one, any send fails. */
  workQueue?: WorkQueue;
  /**
   * Certificates issued over ACME (issue 9): the key sealer, the CA, the resolvers. Without it a
   * certificate request is stored `pending` and nothing issues it.
   */
  issuance?: IssuanceAdapters;
}

export function createServices({
  table,
  clock = systemClock,
  authFailureLimits,
  sessionLifetimeSeconds,
  secrets = noSecretStore,
  dnsClientOptions = {},
  workQueue = noWorkQueue,
  issuance,
}: Adapters): AppServices {
  const hosts = new DynamoProxyHostRepository(table);
  const dns = dnsServices(table, secrets, clock, dnsClientOptions, hosts);
  const throttle = new AuthFailureThrottle(new DynamoAuthFailureCounter(table), clock, authFailureLimits);
  const settings = new SettingsService(new DynamoSettingsRepository(table), clock);
  const certificateRepository = new DynamoCertificateRepository(table);
  const expiries = new DynamoExpiryIndex(table, certificateFromItem);
  const notifications = new NotificationService({
    subscriptions: new DynamoNotificationRepository(table),
    secrets,
    // Webhook URLs are URLs users supply, like a PowerDNS credential's: the same policy.
    outbound: dnsClientOptions.outbound ?? createOutboundPolicy(),
    queue: workQueue,
    clock,
    expiries,
    ...(issuance ? { logger: issuance.logger } : {}),
  });
  const issuer = issuance
    ? lazyIssuer(
        {
          table,
          clock,
          secrets,
          queue: workQueue,
          challenges: dns.challengeCredentials,
          directory: dns.dnsDirectory,
          settings,
          notifications,
        },
        issuance,
      )
    : undefined;
  const certificates = new CertificateService(certificateRepository, dns.dnsDirectory, clock, issuer);
  const renewals =
    issuer && issuance
      ? new RenewalService({
          index: new DynamoRenewalIndex(table, certificateFromItem),
          failures: new DynamoFailedAuthorizations(table),
          info: { fetch: (certId) => issuer.renewalInfo(certId) },
          issuance: issuer,
          certificates,
          listing: certificateRepository,
          expiries,
          clock,
          logger: issuance.logger,
        })
      : undefined;
  const agentReports = new DynamoAgentReportRepository(table);
  const proxyHosts = new ProxyHostService(hosts, certificates, clock, agentReports);
  const decisions = new DynamoCrowdSecDecisionRepository(table);
  return {
    tokens: new TokenService(new DynamoApiTokenRepository(table), clock, throttle, {
      repository: new DynamoSessionRepository(table),
      ...(sessionLifetimeSeconds === undefined ? {} : { lifetimeSeconds: sessionLifetimeSeconds }),
    }),
    certificates,
    proxyHosts,
    settings,
    security: new SecurityService(proxyHosts, settings, decisions, clock, agentReports),
    agents: new AgentService({
      proxyHosts,
      certificates,
      material: new DynamoIssuanceRepository(table),
      reports: agentReports,
      state: new DynamoDesiredStateVersion(table),
      decisions,
      sealer: joseAgentKeySealer,
      clock,
    }),
    ...dns,
    notifications,
    workQueue,
    ...(issuer ? { issuer } : {}),
    ...(renewals ? { renewals } : {}),
  };
}

/** The Issuer's operations, each loading issuance on its first call. */
export type LazyIssuer = Pick<Issuer, "locate" | "start" | "files" | "advance" | "resumeOpenOrders" | "renewalInfo">;

/**
 * Issuance composed on its first use: `./issuance.js` and what it reaches (acme-client, the DNS-01
 * solver, DNS queries) are a chunk of their own in a function's bundle, so a cold start that
 * issues nothing (most API requests) does not load them. A failed composition (e.g. a bad
 * CHARON_ACME_DIRECTORY_URL) fails that call and is tried again on the next.
 */
function lazyIssuer(...args: Parameters<typeof createIssuer>): LazyIssuer {
  let loading: Promise<Issuer> | undefined;
  const issuer = () =>
    (loading ??= import("./issuance.js")
      .then((module) => module.createIssuer(...args))
      .catch((error: unknown) => {
        loading = undefined;
        throw error;
      }));
  return {
    locate: (providerId, identifier) => issuer().then((i) => i.locate(providerId, identifier)),
    start: (certificate, requestedBy, renewal) => issuer().then((i) => i.start(certificate, requestedBy, renewal)),
    files: (certificateId) => issuer().then((i) => i.files(certificateId)),
    advance: (certificateId) => issuer().then((i) => i.advance(certificateId)),
    resumeOpenOrders: () => issuer().then((i) => i.resumeOpenOrders()),
    renewalInfo: (certId) => issuer().then((i) => i.renewalInfo(certId)),
  };
}

/** DNS providers, their credentials, selection and the audit log (issue 3). */
function dnsServices(
  table: DynamoTable,
  secrets: SecretStore,
  clock: Clock,
  dnsClientOptions: DnsClientOptions,
  proxyHosts: DynamoProxyHostRepository,
) {
  const catalog: DnsProviderCatalog = {
    types: dnsProviderTypes,
    // Credentials this deployment's clients could never use (CHARON_OUTBOUND_ALLOW) are a 400 when given.
    normaliseCredentials: (type, input) => normaliseCredentials(type, input, dnsClientOptions),
    createClient: dnsProviderClientFactory({ timeoutMs: 10_000, retries: 1, ...dnsClientOptions }),
  };
  const deps = {
    providers: new DynamoDnsProviderRepository(table),
    credentials: new DynamoCredentialRepository(table),
    proxyHosts,
    secrets,
    catalog,
    clock,
  };
  const dnsDirectory = new DnsDirectory(deps);
  return {
    dnsProviders: new DnsProviderService(deps),
    credentials: new CredentialService(deps),
    dnsDirectory,
    challengeCredentials: new ChallengeCredentials({ ...deps, directory: dnsDirectory }),
    auditLog: new AuditLogService(new DynamoAuditLog(table), clock),
  };
}

/** Fails every use, so that a deployment that forgot its secret store cannot lose secrets. */
const noSecretStore: SecretStore = {
  create: () => Promise.reject(new Error("No SecretStore is configured")),
  get: () => Promise.reject(new Error("No SecretStore is configured")),
  delete: () => Promise.reject(new Error("No SecretStore is configured")),
  list: () => ({
    [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error("No SecretStore is configured")) }),
  }),
};


/** Fails every send, so that a function whose stack gave it no queue says so at once. */
const noWorkQueue: WorkQueue = {
  send: () => Promise.reject(new Error("No WorkQueue is configured")),
};
