/**
 * The composition of a deployed function (API, worker, scheduler): DynamoDB, Secrets Manager and
 * the SQS work queue named by the stack's environment (`readAwsConfig`). Called on a function's
 * first invocation, so that importing its entry builds nothing.
 */
import { KmsKeySealer, SqsWorkQueue, createDynamoTable, createSecretsManagerStore } from "@charon/aws";
import type { KeySealer } from "@charon/core";
import { createServices, type AppServices } from "./compose.js";
import { authFailureLimitsFrom, dnsEndpointsFrom, sessionLifetimeSecondsFrom, issuanceLimitsFrom, outboundPolicyFrom, readAwsConfig } from "./config.js";
import { withLinkedEabKey } from "./linked.js";

export { ACME_EAB_HMAC_KEY_SECRET, withLinkedEabKey } from "./linked.js";
import type { Logger } from "./logger.js";

/**
 * With a logger, a function given the work queue and the KMS key (the API and the worker) issues
 * certificates: the API opens orders and serves downloads, the worker advances them. The sweep
 * (`sealsKeys: false`) opens renewal orders with the queue alone: it never seals nor opens a key,
 * so it has no KMS key to be allowed.
 */
export function createAwsServices(env: NodeJS.ProcessEnv = process.env, logger?: Logger, { sealsKeys = true } = {}): AppServices {
  const config = readAwsConfig(env);
  const sealer: KeySealer | undefined = !sealsKeys ? sealsNothing : config.kmsKeyId ? new KmsKeySealer({ keyArn: config.kmsKeyId }) : undefined;
  return createServices({
    table: createDynamoTable(config.tableName),
    secrets: createSecretsManagerStore(config.secretsPrefix),
    dnsClientOptions: { endpoints: dnsEndpointsFrom(env), outbound: outboundPolicyFrom(env) },
    authFailureLimits: authFailureLimitsFrom(env),
    sessionLifetimeSeconds: sessionLifetimeSecondsFrom(env),
    ...(config.workQueueUrl ? { workQueue: new SqsWorkQueue({ queueUrl: config.workQueueUrl }) } : {}),
    ...(config.workQueueUrl && sealer && logger
      ? {
          issuance: {
            sealer,
            logger,
            resolvers: env.CHARON_DNS_RESOLVERS,
            leaseSeconds: env.CHARON_ORDER_LEASE_SECONDS,
            limits: issuanceLimitsFrom(env),
            // The worker's EAB HMAC key is a linked SST secret, never an environment variable (stacks/ca.ts).
            acmeEnvironment: withLinkedEabKey(env),
          },
        }
      : {}),
  });
}

/** The sweep's: any use is a programming error, said at once rather than as a KMS AccessDenied. */
const sealsNothing: KeySealer = {
  seal: () => Promise.reject(new Error("This function seals no private keys")),
  open: () => Promise.reject(new Error("This function opens no private keys")),
};
