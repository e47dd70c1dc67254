/**
 * The composition of a deployed function (API, worker, scheduler): DynamoDB, Secrets Manager and
 * the SQS work queue named by the stack's environment (`readAwsConfig`). Called on a function's
 * first invocation, so that importing its entry builds nothing.
 */
import { SqsWorkQueue, createDynamoTable, createSecretsManagerStore } from "@charon/aws";
import { createServices, type AppServices } from "./compose.js";
import { dnsEndpointsFrom, readAwsConfig } from "./config.js";

export function createAwsServices(env: NodeJS.ProcessEnv = process.env): AppServices {
  const config = readAwsConfig(env);
  return createServices({
    table: createDynamoTable(config.tableName),
    secrets: createSecretsManagerStore(config.secretsPrefix),
    dnsClientOptions: { endpoints: dnsEndpointsFrom(env) },
    ...(config.workQueueUrl ? { workQueue: new SqsWorkQueue({ queueUrl: config.workQueueUrl }) } : {}),
  });
}
