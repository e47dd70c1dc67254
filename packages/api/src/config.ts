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
}

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
  return { host: env.CHARON_HOST?.trim() || "127.0.0.1", port, trustedProxies };
}
