/**
 * What the Lambda entry builds on its first invocation: the SDK clients, the services and the
 * app (the same `createApp` as `npm start`). Kept out of `lambda.ts` so that importing the entry
 * evaluates none of it (see lambda.ts).
 */
import { handle } from "hono/aws-lambda";
import { Logger } from "@aws-lambda-powertools/logger";
import { createDynamoTable, createSecretsManagerStore } from "@charon/aws";
import { createApp } from "./app.js";
import { createServices } from "./compose.js";
import { dnsEndpointsFrom } from "./config.js";

export function createLambdaHandler() {
  const tableName = process.env.CHARON_TABLE_NAME;
  if (!tableName) throw new Error("CHARON_TABLE_NAME is not set; the stack must pass the table's name");
  const logger = new Logger({ serviceName: "charon" });
  const secretsPrefix = process.env.CHARON_SECRETS_PREFIX;
  if (!secretsPrefix) throw new Error("CHARON_SECRETS_PREFIX is not set; the stack must pass the secrets' name prefix");
  const services = createServices({
    table: createDynamoTable(tableName),
    secrets: createSecretsManagerStore(secretsPrefix),
    dnsClientOptions: { endpoints: dnsEndpointsFrom() },
  });
  const app = createApp({ services, logger });
  return handle(app);
}
