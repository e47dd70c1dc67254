/**
 * `npm start`: the whole control plane as one Node process on the embedded defaults — what
 * `@charon/runtime/local` starts (DynamoDB Local persisted under CHARON_DATA_DIR, secrets in the
 * local encrypted store), served over HTTP: the API at `/api`, the built console at `/`.
 */
import { fileURLToPath } from "node:url";
import { Logger } from "@aws-lambda-powertools/logger";
import { readLocalConfig } from "@charon/runtime";
import { startLocalRuntime } from "@charon/runtime/local";
import { createApp } from "./app.js";
import { withConsole } from "./console-site.js";
import { readServerConfig } from "./config.js";
import { listen } from "./node-server.js";

const logger = new Logger({ serviceName: "charon" });

/** What `npm run build --workspace=packages/console` writes (the root `prestart` runs it). */
const CONSOLE_DIST = fileURLToPath(new URL("../../console/dist", import.meta.url));

async function main(): Promise<void> {
  const config = readServerConfig();
  const runtime = await startLocalRuntime(readLocalConfig(), logger);
  try {
    const app = createApp({ services: runtime.services, logger, trustedProxies: config.trustedProxies });
    const server = listen(withConsole(app, CONSOLE_DIST), config, (info) => {
      const shown = config.host.includes(":") ? `[${config.host}]` : config.host;
      logger.info(`Charon listening on http://${shown}:${info.port}/ (the console; the API at /api)`, {
        dataDirectory: runtime.dataDirectory,
      });
    });
    // A port already taken (another `npm start`, another service) is said in one line, and
    // DynamoDB Local, already running, is stopped rather than left behind without its server.
    server.once("error", (error: NodeJS.ErrnoException) => {
      logger.error(
        error.code === "EADDRINUSE"
          ? `Port ${config.port} on ${config.host} is in use: stop what listens there, or start on another port (PORT=8181 npm start)`
          : `Cannot listen on ${config.host}:${config.port}: ${error.message}`,
      );
      void runtime.stop().then(() => process.exit(1));
    });

    // Ctrl-C reaches this process twice (from the terminal's process group and relayed by
    // npm); a second signal must not cut short the orderly stop of DynamoDB Local. `npm start`
    // runs this file in Node itself (`node --import tsx`), not under the tsx CLI, which SIGKILLs
    // a child that takes over 30 ms to acknowledge a signal (a busy machine), cutting that stop short.
    let stopping = false;
    const shutdown = () => {
      if (stopping) return;
      stopping = true;
      logger.info("shutting down");
      server.close();
      void runtime.stop().then(() => process.exit(0));
    };
    process.on("SIGINT", shutdown);
    process.on("SIGTERM", shutdown);
  } catch (error) {
    await runtime.stop();
    throw error;
  }
}

main().catch((error: unknown) => {
  logger.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
