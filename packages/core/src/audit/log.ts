import { ValidationError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { Page, PageRequest } from "../ports/page.js";
import type { AuditEntry } from "./entry.js";

/** `GET /api/v1/audit-logs` filters; all optional, combined with AND. */
export interface AuditLogFilter {
  action?: string;
  /** Provider type (`cloudflare`), as entries record it. */
  provider?: string;
  providerId?: number;
  user?: string;
  resourceType?: string;
  resourceId?: string;
  /** Inclusive ISO 8601 bounds. */
  from?: string;
  to?: string;
}

/** A filter with its time range settled: what the repository reads. */
export type ResolvedAuditLogFilter = AuditLogFilter & { from: string; to: string };

export interface AuditLogRepository {
  /**
   * Newest first. One call makes a bounded number of reads whatever the range and filters: a
   * page may come back short, even empty, with a cursor that carries on where the reading
   * stopped. `signal` aborts the reads (the client went away).
   */
  list(filter: ResolvedAuditLogFilter, page: PageRequest, signal?: AbortSignal): Promise<Page<AuditEntry>>;
}

/** Without `from`, the log reads this far back; older entries need an explicit `from`. */
export const DEFAULT_AUDIT_WINDOW_DAYS = 90;

/**
 * Entries are stamped by the server's clock, so none is later than now; a `to` beyond now is
 * read as now plus this much, which covers the clock differences between server instances.
 */
const CLOCK_SKEW_MS = 60 * 60 * 1000;

/** Reading the audit trail (multi-credential-dns.md, "Audit Trail for Credential Operations"). */
export class AuditLogService {
  constructor(
    private readonly log: AuditLogRepository,
    private readonly clock: Clock,
  ) {}

  /** A page of entries; see AuditLogRepository.list for its cost and `signal`. */
  list(filter: AuditLogFilter, page: PageRequest, signal?: AbortSignal): Promise<Page<AuditEntry>> {
    const resolved = this.resolve(filter);
    // Starts after the latest possible entry: nothing to read.
    if (resolved.from > resolved.to) return Promise.resolve({ items: [] });
    return this.log.list(resolved, page, signal);
  }

  private resolve(filter: AuditLogFilter): ResolvedAuditLogFilter {
    if (filter.resourceId !== undefined && filter.resourceType === undefined) {
      throw new ValidationError("resource_id: needs resource_type as well");
    }
    const now = this.clock.now().getTime();
    const to = filter.to ?? new Date(now).toISOString();
    const from =
      filter.from ?? new Date(Date.parse(to) - DEFAULT_AUDIT_WINDOW_DAYS * 24 * 60 * 60 * 1000).toISOString();
    if (from > to) throw new ValidationError("from: must not be later than to");
    const latest = new Date(now + CLOCK_SKEW_MS).toISOString();
    return { ...filter, from, to: to < latest ? to : latest };
  }
}
