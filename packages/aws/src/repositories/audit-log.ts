import {
  ValidationError,
  type AuditEntry,
  type AuditLogRepository,
  type Page,
  type PageRequest,
  type ResolvedAuditLogFilter,
} from "@charon/core";
import type { DynamoTable, Item } from "../dynamodb/table.js";

/**
 * Reads the audit entries that auditEntryPut writes, newest first. The narrowest index wins:
 * a resource's entries (gsi1), an action's (gsi2), else the month partitions from `to` back to
 * `from`. Sort keys start with the timestamp, so the time range is a key condition; the other
 * filters are applied to what is read, and reading continues until the page is full. While a
 * page has found nothing yet, ever more of the next months are read side by side, so a sparse
 * log costs a few round trips, not one per month.
 */
export class DynamoAuditLog implements AuditLogRepository {
  constructor(private readonly table: DynamoTable) {}

  async list(filter: ResolvedAuditLogFilter, page: PageRequest): Promise<Page<AuditEntry>> {
    const source = sourceFor(filter);
    const position = decodePosition(page.cursor, source.partitions[0]);
    const entries: AuditEntry[] = [];
    let partitionIndex = source.partitions.indexOf(position.partition);
    if (partitionIndex === -1) throw invalidCursor();
    let inner = position.inner;
    let emptyRounds = 0;
    while (partitionIndex < source.partitions.length && entries.length < page.limit) {
      // One partition while resuming inside one; else more side by side the emptier the log.
      const width = inner === undefined ? Math.min(MAX_PARALLEL_PARTITIONS, 2 ** emptyRounds) : 1;
      const results = await Promise.all(
        source.partitions.slice(partitionIndex, partitionIndex + width).map((partition) =>
          this.table.query<AuditItem>({
            partition,
            index: source.index,
            between: [filter.from, `${filter.to}~`],
            descending: true,
            limit: page.limit - entries.length,
            cursor: inner,
          }),
        ),
      );
      emptyRounds = results.every((r) => r.items.length === 0) ? emptyRounds + 1 : 0;
      for (const result of results) {
        // Read for a page that has filled up since: this partition is read again next time.
        if (result.items.length > page.limit - entries.length) break;
        entries.push(...result.items.map(fromAuditItem).filter((e) => matches(e, filter)));
        inner = result.cursor;
        if (inner !== undefined) break;
        partitionIndex++;
      }
    }
    const next = source.partitions[partitionIndex];
    return { items: entries, cursor: next === undefined ? undefined : encodePosition({ partition: next, inner }) };
  }
}

interface Source {
  index?: "gsi1" | "gsi2";
  /** Read in this order. */
  partitions: string[];
}

function sourceFor(filter: ResolvedAuditLogFilter): Source {
  if (filter.resourceType !== undefined && filter.resourceId !== undefined) {
    return { index: "gsi1", partitions: [`AUDITRES#${filter.resourceType}#${filter.resourceId}`] };
  }
  if (filter.action !== undefined) return { index: "gsi2", partitions: [`AUDITACT#${filter.action}`] };
  return { partitions: monthsBetween(filter.from, filter.to).map((month) => `AUDIT#${month}`) };
}

/** While a page is still empty, each round reads twice as many month partitions, up to this many. */
const MAX_PARALLEL_PARTITIONS = 64;

/** `yyyy-mm` of every UTC month from `to` back to `from`. */
function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  const first = from.slice(0, 7);
  const cursor = new Date(`${to.slice(0, 7)}-01T00:00:00.000Z`);
  for (let month = to.slice(0, 7); month >= first; month = cursor.toISOString().slice(0, 7)) {
    months.push(month);
    cursor.setUTCMonth(cursor.getUTCMonth() - 1);
  }
  return months;
}

function matches(entry: AuditEntry, filter: ResolvedAuditLogFilter): boolean {
  return (
    (filter.action === undefined || entry.action === filter.action) &&
    (filter.provider === undefined || entry.provider === filter.provider) &&
    (filter.providerId === undefined || entry.details["provider_id"] === filter.providerId) &&
    (filter.user === undefined || entry.user === filter.user) &&
    (filter.resourceType === undefined || entry.resourceType === filter.resourceType) &&
    (filter.resourceId === undefined || String(entry.resourceId) === filter.resourceId)
  );
}

interface Position {
  partition: string;
  inner?: string;
}

function encodePosition(position: Position): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

function decodePosition(cursor: string | undefined, first: string | undefined): Position {
  if (cursor === undefined) return { partition: first ?? "" };
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as Partial<Position>;
    if (typeof parsed.partition === "string" && (parsed.inner === undefined || typeof parsed.inner === "string")) {
      return { partition: parsed.partition, inner: parsed.inner };
    }
  } catch {
    // fall through: not a cursor this API returned
  }
  throw invalidCursor();
}

function invalidCursor(): ValidationError {
  return new ValidationError("The cursor is not one this API returned for these filters", "Invalid cursor");
}

interface AuditItem extends Item {
  timestamp: string;
  action: string;
  resource_type: string;
  resource_id: number | string;
  resource_name: string | null;
  provider: string | null;
  zone_filter: string | null;
  user: string;
  ip_address: string | null;
  details: Record<string, unknown>;
}

function fromAuditItem(item: AuditItem): AuditEntry {
  return {
    timestamp: item.timestamp,
    action: item.action,
    resourceType: item.resource_type,
    resourceId: item.resource_id,
    resourceName: item.resource_name ?? null,
    provider: item.provider ?? null,
    zoneFilter: item.zone_filter ?? null,
    user: item.user,
    ipAddress: item.ip_address ?? null,
    details: item.details ?? {},
  };
}
