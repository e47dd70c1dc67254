/**
 * The composition of issuance (issue 9): the DNS-01 solver over the DNS services, the Issuer over
 * the ACME account, the work queue and the key sealer. Built by `createServices` when the entry
 * point gives it a key sealer and a work queue (the worker, the API, `npm start`).
 */
import { getServers } from "node:dns";
import { AcmeAccounts, DnsSolver, Issuer, NameServers, parseNameServers, readAcmeSettings, type AcmeSettings } from "@charon/acme";
import {
  DynamoCertificateRepository,
  DynamoCredentialRepository,
  DynamoDnsProviderSlots,
  DynamoFailedAuthorizations,
  DynamoIssuanceRepository,
  DynamoNewOrderBudget,
  DynamoRecordLeases,
  type DynamoTable,
} from "@charon/aws";
import {
  AlertingOutcomeRecorder,
  type ChallengeCredentials,
  type Clock,
  type DnsDirectory,
  type KeySealer,
  type NotificationService,
  type SecretStore,
  type SettingsService,
  type WorkQueue,
} from "@charon/core";
import { issuanceLimitsFrom, type IssuanceLimitsConfig } from "./config.js";
import type { Logger } from "./logger.js";

/** What an entry point chooses for issuance. */
export interface IssuanceAdapters {
  /** Seals certificates' private keys: KMS on AWS, the local store's key under `npm start`. */
  sealer: KeySealer;
  logger: Logger;
  /** The CA; default from the environment (`readAcmeSettings`: CHARON_ACME_DIRECTORY_URL, …). */
  acme?: AcmeSettings;
  /**
   * The environment `readAcmeSettings` reads when `acme` is not given; default `process.env`. A
   * deployed worker's has the EAB HMAC key filled in from its linked secret (`withLinkedEabKey`).
   */
  acmeEnvironment?: NodeJS.ProcessEnv;
  /**
   * `CHARON_DNS_RESOLVERS` (`host:port,…`): asked instead of each zone's authoritative servers for
   * propagation, and for the CNAME look-ups; default the system's resolvers and the real servers.
   */
  resolvers?: string;
  /**
   * `CHARON_ORDER_LEASE_SECONDS`: how long a worker holds an order before another may take it
   * over (default 120; keep it above the worker's time-out).
   */
  leaseSeconds?: string | number;
  /** The new-order budget and DNS provider concurrency; default `issuanceLimitsFrom(process.env)`. */
  limits?: IssuanceLimitsConfig;
}

export function createIssuer(
  deps: {
    table: DynamoTable;
    clock: Clock;
    secrets: SecretStore;
    queue: WorkQueue;
    challenges: ChallengeCredentials;
    directory: DnsDirectory;
    settings: SettingsService;
    /** Where the outcomes' events go (`certificate_failed`, `certificate_renewed`, `credential_success_rate_low`). */
    notifications: NotificationService;
  },
  adapters: IssuanceAdapters,
): Issuer {
  const resolvers = adapters.resolvers?.trim() ? parseNameServers(adapters.resolvers) : undefined;
  const leaseSeconds = parseLeaseSeconds(adapters.leaseSeconds);
  const limits = adapters.limits ?? issuanceLimitsFrom();
  const solver = new DnsSolver({
    challenges: deps.challenges,
    leases: new DynamoRecordLeases(deps.table, deps.clock),
    nameServers: new NameServers({ recursive: resolvers ?? parseNameServers(getServers().join(",")) }),
    ...(resolvers ? { propagationServers: resolvers } : {}),
  });
  return new Issuer({
    certificates: new DynamoCertificateRepository(deps.table),
    orders: new DynamoIssuanceRepository(deps.table),
    solver,
    sealer: adapters.sealer,
    queue: deps.queue,
    outcomes: new AlertingOutcomeRecorder({
      recorder: deps.directory,
      credentials: new DynamoCredentialRepository(deps.table),
      events: deps.notifications,
      clock: deps.clock,
    }),
    events: deps.notifications,
    accounts: new AcmeAccounts(deps.secrets, adapters.acme ?? readAcmeSettings(adapters.acmeEnvironment)),
    timings: {
      propagation: async () => {
        const settings = await deps.settings.get();
        return { pollSeconds: settings.dns_polling_interval_seconds, timeoutSeconds: settings.dns_propagation_timeout_seconds };
      },
      ...(leaseSeconds !== undefined ? { leaseSeconds } : {}),
    },
    failures: new DynamoFailedAuthorizations(deps.table),
    limits: {
      newOrders: new DynamoNewOrderBudget(deps.table, limits.newOrders),
      dnsSlots: new DynamoDnsProviderSlots(deps.table, limits.dnsProviderConcurrency),
    },
    clock: deps.clock,
    logger: adapters.logger,
  });
}

function parseLeaseSeconds(value: string | number | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 5 || seconds > 900) {
    throw new Error(`CHARON_ORDER_LEASE_SECONDS must be a whole number of seconds from 5 to 900, got '${value}'`);
  }
  return seconds;
}
