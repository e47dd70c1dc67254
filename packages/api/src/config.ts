import { isIP } from "node:net";

/**
 * The Node server's HTTP settings, read once from the environment by `server.ts`. What is not
 * HTTP (data directory, table, bootstrap token) is `@charon/runtime`'s `readLocalConfig`. Each
 * variable is documented in the README's Configuration table.
 */
export interface ServerConfig {
  /** The address to listen on: loopback unless a container or a proxy elsewhere must reach it. */
  host: string;
  port: number;
  trustedProxies: string[];
  timeouts: ServerTimeouts;
}

/** How long the Node server waits for a client; a connection that overstays is closed. */
export interface ServerTimeouts {
  /** From connecting until the request's headers are complete (then 408 and close). */
  headersMs: number;
  /** From connecting until the whole request, body included, has arrived. */
  requestMs: number;
  /** An idle keep-alive connection between requests. */
  keepAliveMs: number;
  /** How often the two limits above are checked: a stalled client is cut off at most this late. */
  checkIntervalMs: number;
}

/**
 * The local server's time-outs (README, "Configuration"). Generous for a person's curl or a CI
 * job on a slow link, far below Node's 60 s / 300 s defaults; request bodies are at most
 * MAX_BODY_BYTES, so 30 s is plenty.
 */
export const SERVER_TIMEOUTS: ServerTimeouts = {
  headersMs: 10_000,
  requestMs: 30_000,
  keepAliveMs: 5_000,
  checkIntervalMs: 1_000,
};

export function readServerConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = Number(env.PORT ?? 8081);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be an integer between 0 and 65535, got '${env.PORT}'`);
  }
  const trustedProxies = (env.CHARON_TRUSTED_PROXIES ?? "").split(",").map((entry) => entry.trim()).filter(Boolean);
  const notAnAddress = trustedProxies.find((entry) => isIP(entry) === 0);
  if (notAnAddress !== undefined) {
    throw new Error(`CHARON_TRUSTED_PROXIES must list IP addresses separated by commas; '${notAnAddress}' is not one`);
  }
  return { host: env.CHARON_HOST?.trim() || "127.0.0.1", port, trustedProxies, timeouts: SERVER_TIMEOUTS };
}
