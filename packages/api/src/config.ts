import { isIP } from "node:net";

/**
 * The local runtime's configuration, read once from the environment by the entry point.
 * Each variable is documented in the README's Configuration table.
 */
export interface LocalConfig {
  /** The address to listen on: loopback unless a container or a proxy elsewhere must reach it. */
  host: string;
  port: number;
  trustedProxies: string[];
  dataDirectory: string;
  tableName: string;
  bootstrapToken: string | undefined;
  /** Set when DynamoDB is external (AWS or a running DynamoDB Local); else one is embedded. */
  dynamodbEndpoint: string | undefined;
}

export function readLocalConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  const port = Number(env.PORT ?? 8081);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be an integer between 0 and 65535, got '${env.PORT}'`);
  }
  const bootstrapToken = env.CHARON_BOOTSTRAP_TOKEN?.trim() || undefined;
  if (bootstrapToken !== undefined && bootstrapToken.length < 16) {
    throw new Error("CHARON_BOOTSTRAP_TOKEN must be at least 16 characters long");
  }
  const trustedProxies = (env.CHARON_TRUSTED_PROXIES ?? "").split(",").map((entry) => entry.trim()).filter(Boolean);
  const notAnAddress = trustedProxies.find((entry) => isIP(entry) === 0);
  if (notAnAddress !== undefined) {
    throw new Error(`CHARON_TRUSTED_PROXIES must list IP addresses separated by commas; '${notAnAddress}' is not one`);
  }
  return {
    host: env.CHARON_HOST?.trim() || "127.0.0.1",
    port,
    trustedProxies,
    dataDirectory: env.CHARON_DATA_DIR ?? ".charon",
    tableName: env.CHARON_TABLE_NAME ?? "charon",
    bootstrapToken,
    dynamodbEndpoint: env.AWS_ENDPOINT_URL_DYNAMODB || undefined,
  };
}

/**
 * DNS provider API base URLs, for tests, proxies and API-compatible services. Route 53 needs no
 * entry: the AWS SDK reads AWS_ENDPOINT_URL_ROUTE_53 itself.
 */
export function dnsEndpointsFrom(env: NodeJS.ProcessEnv = process.env): { cloudflare?: string; digitalocean?: string } {
  return {
    ...(env.CHARON_CLOUDFLARE_API_URL ? { cloudflare: env.CHARON_CLOUDFLARE_API_URL } : {}),
    ...(env.CHARON_DIGITALOCEAN_API_URL ? { digitalocean: env.CHARON_DIGITALOCEAN_API_URL } : {}),
  };
}
