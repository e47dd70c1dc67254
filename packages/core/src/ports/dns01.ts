import type { DnsZone } from "./dns-provider.js";

/**
 * The DNS-01 seam (shared/spec/dns-01.md): from a certificate's identifier to a TXT value present
 * on every authoritative name server, and gone again. Used by issuance (every order) and by the
 * credential test; implemented in `@charon/acme` over the DNS directory, the secret store, the
 * provider clients of `@charon/dns` and real DNS queries.
 */

/** Where one identifier's TXT value goes, and who writes it (dns-01.md §1). */
export interface ChallengeRecord {
  /** As on the certificate: `example.com` or `*.example.com`. */
  identifier: string;
  /** `_acme-challenge.<identifier without "*.">`, lower case, no trailing dot. */
  recordName: string;
  /** The name after following CNAMEs from `recordName` (equal to it without delegation). */
  effectiveRecordName: string;
  /** The CNAME targets followed, in order (empty without delegation). */
  cnameChain: string[];
  /** The DNS provider and the credential chosen for `effectiveRecordName` (zone-matching.md §4). */
  providerId: number;
  providerType: string;
  credential: { id: number; name: string };
  /** The provider's hosted zone that is the longest suffix of `effectiveRecordName` (§5). */
  zone: DnsZone;
}

/** One authoritative server's answer during a propagation check. */
export interface NameServerAnswer {
  /** `host:port` or the server's name as the NS record gives it. */
  server: string;
  /** TXT values it returned for the effective record name. */
  values: string[];
  /** Set when the query failed (time-out, SERVFAIL, REFUSED…). */
  error?: string;
}

export type PropagationState =
  | { propagated: true; servers: NameServerAnswer[] }
  /** `servers` lists only the servers that do not serve the value yet. */
  | { propagated: false; servers: NameServerAnswer[] };

export interface Dns01Solver {
  /**
   * Follows delegation and picks the credential and hosted zone for `identifier`.
   * ValidationError with `No credential found for provider '<type>' and zone '<zone>'` when no
   * credential applies; ValidationError naming the chain on a CNAME loop or more than 10 hops.
   */
  locate(providerId: number, identifier: string): Promise<ChallengeRecord>;
  /**
   * Adds `value` beside any values already at `record.effectiveRecordName` (never replaces the
   * set), under a lease on that record name held in the data store. Idempotent.
   * Provider refusals are `UpstreamError`s whose provider failure details are typed (`reason`, status, message).
   */
  present(record: ChallengeRecord, value: string): Promise<void>;
  /** Removes only `value`, under the same lease; an absent value succeeds. Idempotent. */
  cleanUp(record: ChallengeRecord, value: string): Promise<void>;
  /** One round of asking every authoritative server (or `CHARON_DNS_RESOLVERS`) directly. */
  checkPropagation(record: ChallengeRecord, value: string): Promise<PropagationState>;
}
