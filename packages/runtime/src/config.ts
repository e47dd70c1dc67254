import { DEFAULT_SESSION_LIFETIME_SECONDS, defaultAuthFailureLimits, LETS_ENCRYPT_NEW_ORDERS, type AuthFailureLimits, type BucketShape, type OutboundPolicy } from "@charon/core";
import { createOutboundPolicy, parseOutboundAllow } from "@charon/outbound";
/**
 * Configuration every entry point shares (the API, the worker, the scheduler, `npm start`), read
 * once from the environment. HTTP settings (address, port, trusted proxies) stay with the API
 * (`packages/api/src/config.ts`). Each variable is in the README's Configuration table.
 */

/** `npm start`'s embedded defaults. */
export interface LocalConfig {
  dataDirectory: string;
  tableName: string;
  /** A token ensured at start-up with full access (at least 16 characters). */
  bootstrapToken: string | undefined;
  /** Set when DynamoDB is external (AWS or a running DynamoDB Local); else one is embedded. */
  dynamodbEndpoint: string | undefined;
  /** The issuance limits, read before anything starts (a wrong value stops `npm start` at once); default from the environment. */
  issuanceLimits?: IssuanceLimitsConfig;
  /** CHARON_SESSION_LIFETIME_MINUTES in seconds, read before anything starts like the limits; default from the environment. */
  sessionLifetimeSeconds?: number;
}

export function readLocalConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  const bootstrapToken = env.CHARON_BOOTSTRAP_TOKEN?.trim() || undefined;
  if (bootstrapToken !== undefined && bootstrapToken.length < 16) {
    throw new Error("CHARON_BOOTSTRAP_TOKEN must be at least 16 characters long");
  }
  return {
    dataDirectory: env.CHARON_DATA_DIR ?? ".charon",
    tableName: env.CHARON_TABLE_NAME ?? "charon",
    bootstrapToken,
    dynamodbEndpoint: env.AWS_ENDPOINT_URL_DYNAMODB || undefined,
    issuanceLimits: issuanceLimitsFrom(env),
    sessionLifetimeSeconds: sessionLifetimeSecondsFrom(env),
  };
}

/** What a deployed function is told by its stack (stacks/): every name it needs, nothing guessed. */
export interface AwsConfig {
  /** CHARON_TABLE_NAME: the stage's table. */
  tableName: string;
  /** CHARON_SECRETS_PREFIX: the stage's Secrets Manager name prefix, e.g. `charon/production/`. */
  secretsPrefix: string;
  /** CHARON_WORK_QUEUE_URL: the work queue's URL, for the functions that send work (API, worker). */
  workQueueUrl: string | undefined;
  /**
   * CHARON_KMS_KEY_ID: the ARN of the KMS key that seals certificates' private keys, for the
   * functions that seal or open them (worker, API). An ARN, not a bare id: the AWS Encryption
   * SDK's keyring decrypts only under a key named by its ARN.
   */
  kmsKeyId: string | undefined;
}

export function readAwsConfig(env: NodeJS.ProcessEnv = process.env): AwsConfig {
  return {
    tableName: required(env, "CHARON_TABLE_NAME", "the table's name"),
    secretsPrefix: required(env, "CHARON_SECRETS_PREFIX", "the secrets' name prefix"),
    workQueueUrl: env.CHARON_WORK_QUEUE_URL?.trim() || undefined,
    kmsKeyId: env.CHARON_KMS_KEY_ID?.trim() || undefined,
  };
}

function required(env: NodeJS.ProcessEnv, name: string, what: string): string {
  const value = env[name]?.trim();
  if (!value) throw new Error(`${name} is not set; the stack must pass ${what}`);
  return value;
}

/**
 * The policy for every URL a user supplies (issue 8 §5): public addresses, plus what
 * CHARON_OUTBOUND_ALLOW lists (`loopback`, `private`, CIDR ranges). Throws on an entry it
 * cannot read, so a typo stops start-up instead of silently refusing.
 */
export function outboundPolicyFrom(env: NodeJS.ProcessEnv = process.env): OutboundPolicy {
  return createOutboundPolicy(parseOutboundAllow(env.CHARON_OUTBOUND_ALLOW));
}

/**
 * DNS provider API base URLs, for tests, proxies and API-compatible services. Route 53 needs no
 * entry: the AWS SDK reads AWS_ENDPOINT_URL_ROUTE_53 itself.
 */
export function dnsEndpointsFrom(env: NodeJS.ProcessEnv = process.env): { cloudflare?: string; digitalocean?: string } {
  return {
    ...(env.CHARON_CLOUDFLARE_API_URL ? { cloudflare: env.CHARON_CLOUDFLARE_API_URL } : {}),
    ...(env.CHARON_DIGITALOCEAN_API_URL ? { digitalocean: env.CHARON_DIGITALOCEAN_API_URL } : {}),
  };
}

/**
 * CHARON_AUTH_FAILURE_LIMIT: failed authentications one client address may make per 60-second
 * window before it gets 429s (docs/decisions/0009-auth-failure-rate-limit.md); unset → 20. A
 * positive decimal integer, else start-up fails naming the variable.
 */
export function authFailureLimitsFrom(env: NodeJS.ProcessEnv = process.env): AuthFailureLimits {
  const value = env.CHARON_AUTH_FAILURE_LIMIT?.trim();
  if (!value) return defaultAuthFailureLimits;
  const maxFailures = /^[1-9][0-9]{0,8}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(maxFailures)) {
    throw new Error(`CHARON_AUTH_FAILURE_LIMIT must be a positive whole number of failures per minute (got "${value}")`);
  }
  return { ...defaultAuthFailureLimits, maxFailures };
}

/**
 * CHARON_SESSION_LIFETIME_MINUTES: how long a console session lasts after sign-in (never beyond
 * its token's expiry); unset → 480 (8 hours). A whole number of minutes from 5 to 10080 (a
 * week), else start-up fails naming the variable.
 */
export function sessionLifetimeSecondsFrom(env: NodeJS.ProcessEnv = process.env): number {
  const minutes = positiveInteger(env, "CHARON_SESSION_LIFETIME_MINUTES", DEFAULT_SESSION_LIFETIME_SECONDS / 60, "minutes a console session lasts");
  if (minutes < 5 || minutes > 10_080) {
    throw new Error(`CHARON_SESSION_LIFETIME_MINUTES must be between 5 and 10080 minutes, got '${minutes}'`);
  }
  return minutes * 60;
}

/** Issue 9 §3's bounds on issuance (packages/core/src/ports/issuance-limits.ts). */
export interface IssuanceLimitsConfig {
  /** Each ACME account's new-order budget: CHARON_ACME_NEW_ORDER_LIMIT tokens, one back every CHARON_ACME_NEW_ORDER_REFILL_SECONDS. */
  newOrders: BucketShape;
  /** CHARON_DNS_PROVIDER_CONCURRENCY: orders that may hold DNS-writing work at once per DNS provider. */
  dnsProviderConcurrency: number;
}

/** Orders per DNS provider between writing their values and removing them, unless configured. */
export const DEFAULT_DNS_PROVIDER_CONCURRENCY = 10;

/**
 * The issuance limits from the environment; unset → Let's Encrypt's 300 new orders per account
 * (one back every 36 s) and 10 orders per DNS provider. A value that is not a positive whole
 * number stops start-up naming the variable.
 */
export function issuanceLimitsFrom(env: NodeJS.ProcessEnv = process.env): IssuanceLimitsConfig {
  return {
    newOrders: {
      capacity: positiveInteger(env, "CHARON_ACME_NEW_ORDER_LIMIT", LETS_ENCRYPT_NEW_ORDERS.capacity, "new orders an ACME account may make at once"),
      refillSeconds: positiveInteger(env, "CHARON_ACME_NEW_ORDER_REFILL_SECONDS", LETS_ENCRYPT_NEW_ORDERS.refillSeconds, "seconds until one more new order is allowed"),
    },
    dnsProviderConcurrency: positiveInteger(env, "CHARON_DNS_PROVIDER_CONCURRENCY", DEFAULT_DNS_PROVIDER_CONCURRENCY, "orders per DNS provider at once"),
  };
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, what: string): number {
  const value = env[name]?.trim();
  if (!value) return fallback;
  if (!/^[1-9][0-9]{0,8}$/.test(value)) throw new Error(`${name} must be a positive whole number (${what}), got '${value}'`);
  return Number(value);
}
