/**
 * `npm start`: the whole control plane as one Node process on the embedded defaults —
 * DynamoDB Local persisted under CHARON_DATA_DIR, secrets in the local encrypted store.
 */
import { join, resolve } from "node:path";
import { serve } from "@hono/node-server";
import { Logger } from "@aws-lambda-powertools/logger";
import { createDynamoTable, ensureTable } from "@charon/aws";
import { LocalSecretStore, startDynamoDbLocal, type RunningService } from "@charon/local";
import { createApp } from "./app.js";
import { createServices } from "./compose.js";
import { dnsEndpointsFrom, readLocalConfig } from "./config.js";

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
    const services = createServices({
      table,
      secrets: LocalSecretStore.fromEnvironment(dataDirectory),
      dnsClientOptions: { endpoints: dnsEndpointsFrom() },
    });
    if (config.bootstrapToken) await services.tokens.ensureBootstrapToken(config.bootstrapToken);

    // Secrets a crash left behind (docs/decisions/0007-secret-write-order.md): at start-up, then hourly.
    const sweep = () =>
      services.credentials.sweepOrphanSecrets().then(
        (report) => report.deleted.length > 0 && logger.info("deleted orphaned credential secrets", { count: report.deleted.length }),
        (error: unknown) => logger.warn("orphaned-secret sweep failed", { error: String(error) }),
      );
    void sweep();
    setInterval(() => void sweep(), 60 * 60 * 1000).unref();

    const app = createApp({ services, logger, trustedProxies: config.trustedProxies });
    const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
      const shown = config.host.includes(":") ? `[${config.host}]` : config.host;
      logger.info(`Charon API listening on http://${shown}:${info.port}/api`, { dataDirectory });
    });

    // Ctrl-C reaches this process twice (from the terminal's process group and relayed by
    // tsx); a second signal must not cut short the orderly stop of DynamoDB Local.
    let stopping = false;
    const shutdown = () => {
      if (stopping) return;
      stopping = true;
      logger.info("shutting down");
      server.close();
      void stopAll().then(() => process.exit(0));
    };
    process.on("SIGINT", shutdown);
    process.on("SIGTERM", shutdown);
  } catch (error) {
    await stopAll();
    throw error;
  }
}

main().catch((error: unknown) => {
  logger.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
