import type { AuditEntry } from "../audit/entry.js";
import type { Page, PageRequest } from "../ports/page.js";
import type { ProxyHost, ProxyHostFields } from "./proxy-host.js";

/**
 * Storage of proxy hosts. Each domain name is claimed by at most one host (ConflictError with
 * `conflicting_proxy_host_id` otherwise) and a host's certificate must exist (ValidationError);
 * both are checked in the same transaction as the write and its audit entry.
 */
export interface ProxyHostRepository {
  get(id: number): Promise<ProxyHost | undefined>;
  /** Lowest id first. */
  list(page: PageRequest): Promise<Page<ProxyHost>>;
  /** Every host, for summaries over all of them (WAF status). */
  listAll(): Promise<ProxyHost[]>;
  create(
    host: ProxyHostFields & { created_on: string },
    audit: (id: number) => AuditEntry,
  ): Promise<ProxyHost>;
  /** Writes `next` if the stored host is still `previous` (ConcurrentModificationError if not). */
  update(previous: ProxyHost, next: ProxyHostFields & { modified_on: string }, audit: AuditEntry): Promise<ProxyHost>;
  delete(host: ProxyHost, audit: AuditEntry): Promise<void>;
  /** Ids of the hosts that use any of these certificates. */
  idsUsingCertificates(certificateIds: number[]): Promise<number[]>;
}
