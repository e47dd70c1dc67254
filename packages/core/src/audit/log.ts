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
  /** Newest first. */
  list(filter: ResolvedAuditLogFilter, page: PageRequest): Promise<Page<AuditEntry>>;
}

/** Without `from`, the log reads this far back; older entries need an explicit `from`. */
export const DEFAULT_AUDIT_WINDOW_DAYS = 90;

/** Reading the audit trail (multi-credential-dns.md, "Audit Trail for Credential Operations"). */
export class AuditLogService {
  constructor(
    private readonly log: AuditLogRepository,
    private readonly clock: Clock,
  ) {}

  list(filter: AuditLogFilter, page: PageRequest): Promise<Page<AuditEntry>> {
    return this.log.list(this.resolve(filter), page);
  }

  private resolve(filter: AuditLogFilter): ResolvedAuditLogFilter {
    if (filter.resourceId !== undefined && filter.resourceType === undefined) {
      throw new ValidationError("resource_id: needs resource_type as well");
    }
    const to = filter.to ?? this.clock.now().toISOString();
    const from =
      filter.from ?? new Date(Date.parse(to) - DEFAULT_AUDIT_WINDOW_DAYS * 24 * 60 * 60 * 1000).toISOString();
    if (from > to) throw new ValidationError("from: must not be later than to");
    return { ...filter, from, to };
  }
}
