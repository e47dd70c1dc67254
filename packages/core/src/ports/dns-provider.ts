/**
 * What the core needs from a DNS provider to answer DNS-01 challenges and to test a credential.
 * Adapters live in `@charon/dns` (one folder per provider); they receive plain credentials and
 * never read the environment. Entry points wire them in.
 */

/** The providers Charon can drive (`@charon/dns` has one folder, and one registry entry, for each). */
export const DNS_PROVIDER_TYPE_NAMES = ["cloudflare", "route53", "digitalocean", "powerdns"] as const;
export type DnsProviderTypeName = (typeof DNS_PROVIDER_TYPE_NAMES)[number];

/** A zone hosted at the provider. */
export interface DnsZone {
  /** The provider's own identifier (Cloudflare zone id, Route 53 hosted zone id without the
   * `/hostedzone/` prefix, DigitalOcean domain name, PowerDNS zone id). */
  id: string;
  /** Lower-case, no trailing dot: `example.com`. */
  name: string;
}

/** The outcome of a successful credential test (`POST …/credentials/{id}/test`). */
export interface CredentialCheck {
  /** What was done, e.g. `zone_list`. */
  testPerformed: string;
  /** Names of the zones the credential can see, sorted. */
  accessibleZones: string[];
}

/**
 * One authenticated connection to a provider. Every method fails with a `DnsProviderError`
 * (`./dns-provider-errors.ts`: reason, upstream status and message, typed) whose message names
 * the provider and what it said, and never contains a credential.
 */
export interface DnsProviderClient {
  /** Every zone the credential can see, all pages. */
  listZones(): Promise<DnsZone[]>;
  /**
   * Adds `value` to the TXT record set at `fqdn` (inside `zone`), beside any values already there
   * (`ttlSeconds` is raised to the provider's minimum where it has one):
   * a certificate for `example.com` and `*.example.com` puts two values on one
   * `_acme-challenge.example.com`. Adding a value that is present already succeeds.
   * A provider that applies changes asynchronously returns the change to wait for with
   * `changeStatus` (Route 53); the others return nothing, their change is in effect.
   */
  addTxtRecord(zone: DnsZone, fqdn: string, value: string, ttlSeconds: number): Promise<TxtChange | void>;
  /** Removes only `value` from the TXT record set at `fqdn`; an absent value succeeds. */
  removeTxtRecord(zone: DnsZone, fqdn: string, value: string): Promise<void>;
  /** Authenticates and lists zones. */
  verify(): Promise<CredentialCheck>;
  /**
   * Whether a change returned by `addTxtRecord` is in effect on the provider's name servers
   * (Route 53 `GetChange`: `PENDING` → "pending", `INSYNC` → "in_sync"). One call, no waiting.
   */
  changeStatus?(changeId: string): Promise<"pending" | "in_sync">;
}

/** A provider-side change that takes effect later. */
export interface TxtChange {
  changeId: string;
}

/** One credential field of a provider, in both spellings. */
export interface DnsCredentialField {
  /** The credentials API's name: `api_token`. */
  name: string;
  /** The ACME client's environment-style name used in `meta`: `CF_API_TOKEN`. */
  envName: string;
  /** Secret fields are write-only: never returned, logged or put in an error. */
  secret: boolean;
  /** True when every credential set needs it (alternatives are in `credentialSets`). */
  required: boolean;
  description: string;
  /** `url`: an http(s) URL the server calls (the provider's `check` refuses other values). */
  format?: "url";
}

/** A provider's descriptor: feeds validation, documentation and `GET …/dns-providers/types`. */
export interface DnsProviderType {
  type: DnsProviderTypeName;
  label: string;
  docsUrl: string;
  /** Alternatives, each a list of field names that together authenticate:
   * `[["api_token"], ["api_key", "email"]]`. Fields in no set are optional settings. */
  credentialSets: string[][];
  fields: DnsCredentialField[];
}

/** Builds a client for one provider from plain, canonical credentials. */
export type DnsProviderClientFactory = (
  type: DnsProviderTypeName,
  credentials: Record<string, string>,
) => DnsProviderClient;
