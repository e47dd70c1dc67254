import type { AuditEntry } from "../audit/entry.js";
import type { DnsProvider, ProviderSelection } from "../dns-providers/provider.js";
import type { Page, PageRequest } from "../ports/page.js";
import type { CredentialTestStatus, DnsCredential } from "./credential.js";
import type { CredentialUsage, UsageMove } from "./usage.js";

/** The claim holder as the selection index stores it: enough to answer `/match` without reading it. */
export interface ClaimHolder {
  id: number;
  name: string;
  zoneFilter: string;
}

/** What selecting a credential for some names needs, read in one request. */
export interface SelectionClaims {
  provider: DnsProvider;
  /** The stored pattern claims among those asked for. */
  patterns: Array<{ pattern: string; holder: ClaimHolder }>;
  catchAll: ClaimHolder | null;
}

export interface CredentialRepository {
  nextCredentialId(): Promise<number>;
  getCredential(providerId: number, id: number, consistent?: boolean): Promise<DnsCredential | undefined>;
  getCredentials(keys: Array<{ providerId: number; id: number }>): Promise<DnsCredential[]>;
  /** One page, lowest id first. */
  listCredentials(providerId: number, page: PageRequest): Promise<Page<DnsCredential>>;
  /** Every credential of a provider (bounded by what one provider holds). */
  allCredentials(providerId: number): Promise<DnsCredential[]>;
  /** Up to `limit` certificate names that currently resolve to the credential, sorted by name. */
  credentialUsages(providerId: number, id: number, limit: number): Promise<Array<{ domain: string; certificateId: number }>>;
  /** The provider and its claims on `patterns` plus its catch-all; undefined if no such provider. */
  selectionClaims(providerId: number, patterns: string[]): Promise<SelectionClaims | undefined>;
  /** Every certificate name of the provider with the credential it resolves to. */
  usages(providerId: number): Promise<CredentialUsage[]>;
  /**
   * Points usages at their new credentials and moves `usage_count` with them. Each move only
   * applies if the usage still points where it did, and if the provider still selects as it did
   * when the moves were planned (`provider`'s mode and, in single mode, its primary): a mode
   * change re-evaluates every name itself, and moves planned before it would undo that.
   */
  moveUsages(provider: ProviderSelection, moves: UsageMove[]): Promise<void>;
  /** Stores the outcome of a credential test with its audit entry. */
  recordTest(credential: DnsCredential, status: CredentialTestStatus, at: string, audit: AuditEntry): Promise<void>;
  /**
   * Atomically counts a certificate operation on the credential and writes its audit entry, once
   * per `key`: a second call with the same key (at-least-once delivery) changes nothing. Without a
   * credential (no challenge was answered) only the audit entry is written, once per `key` too.
   */
  recordChallengeOutcome(
    credential: { providerId: number; id: number } | null,
    succeeded: boolean,
    at: string,
    audit: AuditEntry,
    key: string,
  ): Promise<void>;
}
