/**
 * The DNS-01 seam (shared/spec/dns-01.md): from a certificate's identifier to a TXT value present
 * on every authoritative name server, and gone again. Used by issuance (every order) and by the
 * credential test; implemented in `@charon/acme` over the DNS directory, the secret store, the
 * provider clients of `@charon/dns` and real DNS queries.
 */

/**
 * Where one identifier's TXT value goes, and who writes it (dns-01.md §1). Plain JSON, kept with
 * the order. The hosted zone is not part of it: finding it asks the provider's API, which
 * `present` and `cleanUp` do under the lease, so that `locate` (also run at request time) talks
 * to DNS only, never to the provider.
 */
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

/**
 * What `present` hands back for the caller to keep with the order's step and pass to
 * `checkPropagation`: a provider that applies changes asynchronously (Route 53) names the change
 * to wait for. Plain JSON, so it survives a delayed message.
 */
export interface PresentReceipt {
  /** The provider's change id (Route 53 `GetChange`), when the write is not in effect at once. */
  changeId?: string;
}

export type PropagationState =
  | { propagated: true; servers: NameServerAnswer[] }
  /**
   * `servers` lists only the servers that do not serve the value yet (for the `DNS propagation
   * timeout` message: each with what it returned). `pendingChange` is set, and `servers` empty,
   * while the provider has not applied the change yet (Route 53 `PENDING`): no server is asked.
   */
  | { propagated: false; servers: NameServerAnswer[]; pendingChange?: string };

export interface Dns01Solver {
  /**
   * Follows delegation and picks the credential for `identifier` (no provider API call).
   * ValidationError with `No credential found for provider '<type>' and zone '<zone>'` when no
   * credential applies; ValidationError naming the chain on a CNAME loop or more than 10 hops.
   * The CNAME lookups have a short time-out (a few seconds in all), so the API can call it too.
   */
  locate(providerId: number, identifier: string): Promise<ChallengeRecord>;
  /**
   * Adds `value` beside any values already at `record.effectiveRecordName` (never replaces the
   * set) in the provider's hosted zone that is its longest suffix (zone-matching.md §5), under a lease on that record name held in the data store. Idempotent. Returns at once:
   * a change the provider applies later is in the receipt, and `checkPropagation` waits for it.
   * Provider refusals are `UpstreamError`s carrying a typed `DnsProviderFailure` (`failure` on
   * the error: reason, upstream status, upstream message).
   */
  present(record: ChallengeRecord, value: string): Promise<PresentReceipt>;
  /** Removes only `value`, under the same lease; an absent value succeeds. Idempotent. */
  cleanUp(record: ChallengeRecord, value: string): Promise<void>;
  /**
   * One round, never sleeping: first the provider's change (when the receipt names one), then
   * every authoritative server of the record's zone (or `CHARON_DNS_RESOLVERS`), each asked
   * directly without recursion. Propagated only when every server returns `value`.
   */
  checkPropagation(record: ChallengeRecord, value: string, receipt?: PresentReceipt): Promise<PropagationState>;
}
