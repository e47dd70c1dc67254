/**
 * The composition of `npm start`: DynamoDB Local persisted under CHARON_DATA_DIR (unless
 * AWS_ENDPOINT_URL_DYNAMODB names one already running), secrets in the local encrypted store, the
 * bootstrap token, the work queue consumed in this process by the same handler as the worker
 * Lambda's, and the hourly sweeps (renewals, secrets a crash left behind). The HTTP server
 * (packages/api/src/server.ts) is one consumer of what this starts.
 */
import { join, resolve } from "node:path";
import { createDynamoTable, ensureTable } from "@charon/aws";
import { InProcessWorkQueue, LocalKeySealer, LocalSecretStore, ensurePrivateDirectory, startDynamoDbLocal, type RunningService } from "@charon/local";
import { createServices, type AppServices } from "./compose.js";
import { authFailureLimitsFrom, dnsEndpointsFrom, sessionLifetimeSecondsFrom, issuanceLimitsFrom, outboundPolicyFrom, type LocalConfig } from "./config.js";
import type { Logger } from "./logger.js";
import { runScheduledSweeps } from "./sweeps.js";
import { createWorkHandler } from "./work.js";

export interface LocalRuntime {
  services: AppServices;
  /** Absolute path of CHARON_DATA_DIR. */
  dataDirectory: string;
  /** Stops what `startLocalRuntime` started: the queue (waiting for running handlers), timers, DynamoDB Local. */
  stop(): Promise<void>;
}

/**
 * `npm start` sweeps hourly (AWS twice a day): the renewal index makes a sweep cost only what is
 * due, and a laptop that sleeps through one run catches up at the next.
 */
const SWEEP_INTERVAL_MS = 60 * 60 * 1000;

export async function startLocalRuntime(config: LocalConfig, logger: Logger): Promise<LocalRuntime> {
  const dataDirectory = resolve(config.dataDirectory);
  // Token hashes, the audit log and sealed secrets live here: 0700 whatever the umask.
  await ensurePrivateDirectory(dataDirectory);
  const started: RunningService[] = [];
  const stopAll = async () => {
    await Promise.all(started.map((service) => service.stop()));
  };

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
    const workQueue = new InProcessWorkQueue({ logger });
    const services = createServices({
      table,
      secrets: LocalSecretStore.fromEnvironment(dataDirectory),
      dnsClientOptions: { endpoints: dnsEndpointsFrom(), outbound: outboundPolicyFrom() },
      authFailureLimits: authFailureLimitsFrom(),
      sessionLifetimeSeconds: config.sessionLifetimeSeconds ?? sessionLifetimeSecondsFrom(),
      workQueue,
      issuance: {
        sealer: LocalKeySealer.fromEnvironment(dataDirectory),
        logger,
        resolvers: process.env.CHARON_DNS_RESOLVERS,
        leaseSeconds: process.env.CHARON_ORDER_LEASE_SECONDS,
        limits: config.issuanceLimits ?? issuanceLimitsFrom(),
      },
    });
    workQueue.start(createWorkHandler(services, logger));
    if (config.bootstrapToken) await services.tokens.ensureBootstrapToken(config.bootstrapToken);
    // The in-process queue forgot its messages when the last process stopped: orders left open
    // (a kill mid-order) continue from their last persisted step.
    const resumed = await services.issuer?.resumeOpenOrders();
    if (resumed && resumed.length > 0) {
      logger.info("resumed unfinished certificate orders", { category: "certificate_issuance", certificate_ids: resumed });
    }

    // Renewals, and secrets a crash left behind (docs/decisions/0007-secret-write-order.md): at start-up, then hourly.
    const sweep = () => runScheduledSweeps(services, logger);
    void sweep();
    const timer = setInterval(() => void sweep(), SWEEP_INTERVAL_MS).unref();

    return {
      services,
      dataDirectory,
      stop: async () => {
        clearInterval(timer);
        // Handlers still running need the table: they finish before DynamoDB Local stops.
        await workQueue.stop();
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
