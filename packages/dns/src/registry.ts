import {
  ValidationError,
  type DnsProviderClient,
  type DnsProviderClientFactory,
  type DnsProviderType,
  type DnsProviderTypeName,
} from "@charon/core";
import { cloudflareProvider, createCloudflareClient } from "./cloudflare/index.js";
import { normaliseWith, publicFieldsWith } from "./credentials.js";
import { createDigitalOceanClient, digitalOceanProvider } from "./digitalocean/index.js";
import { resolveSettings, type DnsClientOptions } from "./options.js";
import { checkApiUrl, createPowerDnsClient, normaliseApiUrl, powerDnsProvider } from "./powerdns/index.js";
import { createRoute53Client, route53Provider } from "./route53/index.js";

interface ProviderEntry {
  descriptor: DnsProviderType;
  create(credentials: Record<string, string>, options: DnsClientOptions): DnsProviderClient;
  /**
   * Checks beyond presence, run by `normaliseCredentials`; with `options`, also against the
   * deployment's configuration (its outbound policy).
   */
  check?(credentials: Record<string, string>, options?: DnsClientOptions): void;
}

/** The constructor table: one entry per provider folder. */
const providers: Record<DnsProviderTypeName, ProviderEntry> = {
  cloudflare: { descriptor: cloudflareProvider, create: createCloudflareClient },
  route53: { descriptor: route53Provider, create: createRoute53Client },
  digitalocean: { descriptor: digitalOceanProvider, create: createDigitalOceanClient },
  powerdns: {
    descriptor: powerDnsProvider,
    create: createPowerDnsClient,
    check: (credentials, options) =>
      options
        ? checkApiUrl(credentials["api_url"] ?? "", resolveSettings(options).outbound)
        : void normaliseApiUrl(credentials["api_url"] ?? ""),
  },
};

/** Every provider's descriptor, in a stable order (feeds `GET …/dns-providers/types`). */
export const dnsProviderTypes: readonly DnsProviderType[] = Object.values(providers).map((p) => p.descriptor);

export function isDnsProviderType(type: string): type is DnsProviderTypeName {
  return Object.hasOwn(providers, type);
}

function entry(type: string): ProviderEntry {
  if (!isDnsProviderType(type)) {
    throw new ValidationError(
      `Unknown DNS provider type '${type}'; supported types: ${Object.keys(providers).join(", ")}`,
      "Invalid DNS provider type",
    );
  }
  return providers[type];
}

/** The descriptor of `type`; ValidationError listing the supported types when unknown. */
export function getDnsProviderType(type: string): DnsProviderType {
  return entry(type).descriptor;
}

/**
 * Canonical credential fields from either spelling — the credentials API's (`api_token`) or the
 * ACME client's environment names used in `meta` (`CF_API_TOKEN`). ValidationError naming an
 * unknown field, a missing one ("Cloudflare needs api_token, or api_key and email"), an empty
 * value or an unknown provider type; messages never contain a value. With the client `options`
 * of the deployment, also what its configuration refuses: a PowerDNS `api_url` at a literal
 * address its outbound policy (CHARON_OUTBOUND_ALLOW; public-only when `options.outbound` is
 * unset) never calls. Without them, only what no configuration allows.
 */
export function normaliseCredentials(type: string, input: unknown, options?: DnsClientOptions): Record<string, string> {
  const provider = entry(type);
  const credentials = normaliseWith(provider.descriptor, input);
  provider.check?.(credentials, options);
  return credentials;
}

/** The credentials without secret fields: what responses, logs and exports may show. */
export function publicCredentialFields(type: string, credentials: Record<string, string>): Record<string, string> {
  return publicFieldsWith(entry(type).descriptor, credentials);
}

/**
 * A client for `type` with these credentials (either spelling). Base URLs and tuning come from
 * `options`; nothing is read from the environment here.
 */
export function createDnsProviderClient(
  type: string,
  credentials: Record<string, string>,
  options: DnsClientOptions = {},
): DnsProviderClient {
  const provider = entry(type);
  return provider.create(normaliseCredentials(type, credentials), options);
}

/** A factory with `options` bound, for the core's `DnsProviderClientFactory` port. */
export function dnsProviderClientFactory(options: DnsClientOptions = {}): DnsProviderClientFactory {
  return (type, credentials) => createDnsProviderClient(type, credentials, options);
}
