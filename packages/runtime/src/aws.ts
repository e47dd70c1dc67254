/**
 * The composition of a deployed function (API, worker, scheduler): DynamoDB, Secrets Manager and
 * the SQS work queue named by the stack's environment (`readAwsConfig`). Called on a function's
 * first invocation, so that importing its entry builds nothing.
 */
import { KmsKeySealer, SqsWorkQueue, createDynamoTable, createSecretsManagerStore } from "@charon/aws";
import { createServices, type AppServices } from "./compose.js";
import { authFailureLimitsFrom, dnsEndpointsFrom, outboundPolicyFrom, readAwsConfig } from "./config.js";
import type { Logger } from "./logger.js";

/**
 * With a logger, a function given the work queue and the KMS key (the API and the worker) issues
 * certificates: the API opens orders and serves downloads, the worker advances them.
 */
export function createAwsServices(env: NodeJS.ProcessEnv = process.env, logger?: Logger): AppServices {
  const config = readAwsConfig(env);
  return createServices({
    table: createDynamoTable(config.tableName),
    secrets: createSecretsManagerStore(config.secretsPrefix),
    dnsClientOptions: { endpoints: dnsEndpointsFrom(env), outbound: outboundPolicyFrom(env) },
    authFailureLimits: authFailureLimitsFrom(env),
    ...(config.workQueueUrl ? { workQueue: new SqsWorkQueue({ queueUrl: config.workQueueUrl }) } : {}),
    ...(config.workQueueUrl && config.kmsKeyId && logger
      ? { issuance: { sealer: new KmsKeySealer({ keyArn: config.kmsKeyId }), logger, resolvers: env.CHARON_DNS_RESOLVERS, leaseSeconds: env.CHARON_ORDER_LEASE_SECONDS } }
      : {}),
  });
}
