import type { AuditEntry } from "../audit/entry.js";
import type { Page, PageRequest } from "../ports/page.js";
import type { Certificate } from "./certificate.js";

/**
 * Storage of certificates. A create or delete also writes the DNS side's usage items (one per
 * name, with the credential's `usage_count`) in the same transaction; deleting a certificate
 * that a proxy host uses fails with ConflictError naming the hosts.
 */
export interface CertificateRepository {
  get(id: number): Promise<Certificate | undefined>;
  /** The certificates among `ids` that exist, in no particular order. */
  getMany(ids: number[]): Promise<Certificate[]>;
  /** Lowest id first. */
  list(page: PageRequest): Promise<Page<Certificate>>;
  create(certificate: Omit<Certificate, "id">, audit: (id: number) => AuditEntry): Promise<Certificate>;
  delete(certificate: Certificate, audit: AuditEntry): Promise<void>;
  /** Records a renewal request (`renewal_requested_at`), conditional on the certificate existing. */
  requestRenewal(certificate: Certificate, at: string, audit: AuditEntry): Promise<Certificate>;
}
