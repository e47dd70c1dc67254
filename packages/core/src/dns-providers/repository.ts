import type { AuditEntry } from "../audit/entry.js";
import type { DnsCredential } from "../credentials/credential.js";
import type { Page, PageRequest } from "../ports/page.js";
import type { DnsProviderTypeName } from "../ports/dns-provider.js";
import type { DnsProvider } from "./provider.js";

/**
 * One change to a provider or its credentials. Changes given to `commit` together are written
 * all-or-nothing with one audit entry; each `before` is the state the service read, and the write
 * fails if it changed meanwhile (optimistic concurrency). No change at all records only the audit
 * entry (an event that changes no state, such as a test of unsaved credentials).
 */
export type DnsChange =
  | { kind: "create_provider"; provider: DnsProvider }
  | { kind: "update_provider"; before: DnsProvider; after: DnsProvider }
  | { kind: "create_credential"; credential: DnsCredential }
  | { kind: "update_credential"; before: DnsCredential; after: DnsCredential }
  | { kind: "delete_credential"; credential: DnsCredential }
  /** Writes nothing: the change only commits if the credential still exists at this version. */
  | { kind: "require_credential"; credential: DnsCredential };

/**
 * Storage of DNS providers and everything under them. Uniqueness rules (names per provider,
 * one credential per pattern, one catch-all) are enforced by the writes themselves, so they
 * hold under concurrency:
 * - ConflictError with `conflicting_credential_id` when a name, pattern or catch-all is taken;
 * - ConcurrentModificationError when a `before` no longer matches what is stored;
 * - NotFoundError when a `before` no longer exists;
 * - CredentialInUseError when a credential to delete serves certificate names.
 * The provider's mode is checked as of the commit too: a credential created on its own commits
 * only in multi-credential mode, and one deleted on its own never while it is the primary of a
 * provider in single-credential mode (ConcurrentModificationError otherwise).
 */
export interface DnsProviderRepository {
  nextProviderId(): Promise<number>;
  getProvider(id: number, consistent?: boolean): Promise<DnsProvider | undefined>;
  listProviders(page: PageRequest): Promise<Page<DnsProvider>>;
  /** Up to `limit` providers of one type, lowest id first. */
  providersOfType(type: DnsProviderTypeName, limit: number): Promise<DnsProvider[]>;
  commit(changes: DnsChange[], audit: AuditEntry): Promise<void>;
  /**
   * Deletes the provider and `credentials` (all of them, as read): the credentials first, the
   * provider last, so that whatever fails part-way leaves the provider in place for a retry.
   * `audit.provider` is written with the provider's deletion; each earlier step writes
   * `audit.step` of the credentials it deletes, so that a delete which fails after some steps
   * still leaves a record of them. `onDeleted` is told after each step which credentials are gone for good. Fails with
   * ConcurrentModificationError if the provider or its credential count changed since read.
   */
  deleteProvider(
    provider: DnsProvider,
    credentials: DnsCredential[],
    audit: { provider: AuditEntry; step: (deleted: DnsCredential[]) => AuditEntry },
    onDeleted: (deleted: DnsCredential[]) => Promise<void>,
  ): Promise<void>;
}
