/**
 * `npm start`: the whole control plane as one Node process on the embedded defaults —
 * DynamoDB Local persisted under CHARON_DATA_DIR, secrets in the local encrypted store.
 */
import { join, resolve } from "node:path";
import { serve } from "@hono/node-server";
import { Logger } from "@aws-lambda-powertools/logger";
import { createDynamoTable, ensureTable } from "@charon/aws";
import { startDynamoDbLocal, type RunningService } from "@charon/local";
import { createApp } from "./app.js";
import { createServices } from "./compose.js";
import { readLocalConfig } from "./config.js";

const logger = new Logger({ serviceName: "charon" });

async function main(): Promise<void> {
  const config = readLocalConfig();
  const dataDirectory = resolve(config.dataDirectory);
  const started: RunningService[] = [];
  const stopAll = () => Promise.all(started.map((s) => s.stop()));

  if (!config.dynamodbEndpoint) {
    const dynamodb = await startDynamoDbLocal({ dataDirectory: join(dataDirectory, "dynamodb") });
    started.push(dynamodb);
    process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamodb.endpoint;
    // DynamoDB Local accepts any credentials; these keep the SDK from looking for real ones.
    process.env.AWS_REGION ??= "us-east-1";
    process.env.AWS_ACCESS_KEY_ID ??= "local";
    process.env.AWS_SECRET_ACCESS_KEY ??= "local";
  }

  try {
    const table = createDynamoTable(config.tableName);
    await ensureTable(table.client, table.name);
    const services = createServices({ table });
    if (config.bootstrapToken) await services.tokens.ensureBootstrapToken(config.bootstrapToken);

    const app = createApp({ services, logger });
    const server = serve({ fetch: app.fetch, port: config.port, hostname: "127.0.0.1" }, (info) => {
      logger.info(`Charon API listening on http://127.0.0.1:${info.port}/api`, { dataDirectory });
    });

    const shutdown = () => {
      logger.info("shutting down");
      server.close();
      void stopAll().then(() => process.exit(0));
    };
    process.once("SIGINT", shutdown);
    process.once("SIGTERM", shutdown);
  } catch (error) {
    await stopAll();
    throw error;
  }
}

main().catch((error: unknown) => {
  logger.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
