import { setMaxListeners } from "node:events";
import {
  type AuditEntry,
  type AuditLogRepository,
  type Page,
  type PageRequest,
  type ResolvedAuditLogFilter,
} from "@charon/core";
import { invalidCursor, type DynamoTable, type Item } from "../dynamodb/table.js";

/**
 * Reads the audit entries that auditEntryPut writes, newest first. The narrowest index wins:
 * a resource's entries (gsi1), an action's (gsi2), else the month partitions from `to` back to
 * `from`. Sort keys start with the timestamp, so the time range is a key condition; the other
 * filters are applied to what is read, and reading continues until the page is full or the
 * page's read budget (READS_PER_PAGE queries) is spent, whichever comes first: a page over a
 * sparse range or a rare filter comes back short, even empty, with a cursor that carries on
 * where it stopped. While a page has found nothing yet, ever more of the next months are read
 * side by side, so a sparse log costs a few round trips, not one per month.
 */
export class DynamoAuditLog implements AuditLogRepository {
  constructor(private readonly table: DynamoTable) {}

  async list(filter: ResolvedAuditLogFilter, page: PageRequest, signal?: AbortSignal): Promise<Page<AuditEntry>> {
    const source = sourceFor(filter);
    // Each query in flight listens to the signal; a round has up to MAX_PARALLEL_PARTITIONS.
    if (signal) setMaxListeners(MAX_PARALLEL_PARTITIONS + 10, signal);
    const position: Position =
      page.cursor === undefined ? { partition: source.first } : checkedPosition(await this.table.openCursor(source.listing, page.cursor), source);
    const entries: AuditEntry[] = [];
    let partition: string | undefined = position.partition;
    let inner = position.inner;
    let reads = 0;
    let emptyRounds = 0;
    while (partition !== undefined && entries.length < page.limit && reads < READS_PER_PAGE) {
      if (signal?.aborted) throw new ClientGoneError(signal.reason);
      // One partition while resuming inside one; else more side by side the emptier the log.
      const width = inner === undefined ? Math.min(MAX_PARALLEL_PARTITIONS, 2 ** emptyRounds, READS_PER_PAGE - reads) : 1;
      const batch = source.partitionsFrom(partition, width);
      reads += batch.length;
      const results = await Promise.all(
        batch.map((name) =>
          this.table.query<AuditItem>({
            partition: name,
            index: source.index,
            between: [filter.from, `${filter.to}~`],
            descending: true,
            limit: page.limit - entries.length,
            cursor: inner,
            signal,
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
        partition = source.after(partition);
        if (partition === undefined) break;
      }
    }
    return {
      items: entries,
      cursor: partition === undefined ? undefined : await this.table.sealCursor(source.listing, { partition, inner } satisfies Position),
    };
  }
}

/**
 * At most this many queries make one page (each returns at most the page's limit of items):
 * about five years of an empty log, or 64 × limit entries examined for a rare filter.
 */
export const READS_PER_PAGE = 64;

/** While a page is still empty, each round reads twice as many month partitions, up to this many. */
const MAX_PARALLEL_PARTITIONS = 32;

/** The partitions a filter reads, in order, computed as they are needed (a range may span millennia). */
interface Source {
  index?: "gsi1" | "gsi2";
  /** What its cursors are signed for (`DynamoTable.sealCursor`). */
  listing: string;
  first: string;
  /** The partition read after `partition`; undefined after the last. */
  after(partition: string): string | undefined;
  /** Whether `partition` is one this source reads (a cursor's partition is checked with it). */
  contains(partition: string): boolean;
  /** Up to `count` partitions starting with `partition`. */
  partitionsFrom(partition: string, count: number): string[];
}

function sourceFor(filter: ResolvedAuditLogFilter): Source {
  if (filter.resourceType !== undefined && filter.resourceId !== undefined) {
    return single("gsi1", `AUDITRES#${filter.resourceType}#${filter.resourceId}`);
  }
  if (filter.action !== undefined) return single("gsi2", `AUDITACT#${filter.action}`);
  const first = filter.from.slice(0, 7);
  const last = filter.to.slice(0, 7);
  const after = (partition: string) => {
    const month = previousMonth(partition.slice(MONTH_PREFIX.length));
    return month < first ? undefined : `${MONTH_PREFIX}${month}`;
  };
  return {
    listing: `${AUDIT_LISTING}months`,
    first: `${MONTH_PREFIX}${last}`,
    after,
    contains: (partition) => {
      const month = partition.slice(MONTH_PREFIX.length);
      return partition.startsWith(MONTH_PREFIX) && /^\d{4}-(0[1-9]|1[0-2])$/.test(month) && first <= month && month <= last;
    },
    partitionsFrom(partition, count) {
      const partitions = [partition];
      for (let next = after(partition); next !== undefined && partitions.length < count; next = after(next)) {
        partitions.push(next);
      }
      return partitions;
    },
  };
}

function single(index: "gsi1" | "gsi2", partition: string): Source {
  return {
    index,
    listing: `${AUDIT_LISTING}${index}`,
    first: partition,
    after: () => undefined,
    contains: (candidate) => candidate === partition,
    partitionsFrom: () => [partition],
  };
}

const MONTH_PREFIX = "AUDIT#";
/** Prefix of the audit log's cursor listings; no index is named so, so `query`'s never match. */
const AUDIT_LISTING = "audit-log:";

/** `yyyy-mm` of the UTC month before `month` (`yyyy-mm`); `0000-12` before `0001-01` ends any range. */
function previousMonth(month: string): string {
  const year = Number(month.slice(0, 4));
  const number = Number(month.slice(5, 7));
  return number === 1 ? `${String(year - 1).padStart(4, "0")}-12` : `${month.slice(0, 5)}${String(number - 1).padStart(2, "0")}`;
}

/** The client that asked for the page went away; the reads stop. */
class ClientGoneError extends Error {
  override readonly name = "AbortError";
  constructor(reason: unknown) {
    super("The request was aborted", { cause: reason });
  }
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

/**
 * The position a signed cursor holds, checked against this request's source: `from`/`to` may
 * have narrowed since it was issued, so its month must still be one read (the inner cursor is
 * checked by `query` against the time range).
 */
function checkedPosition(parsed: unknown, source: Source): Position {
  const position = (parsed ?? {}) as Partial<Position>;
  if (
    typeof position.partition === "string" &&
    source.contains(position.partition) &&
    (position.inner === undefined || typeof position.inner === "string")
  ) {
    return { partition: position.partition, inner: position.inner };
  }
  throw invalidCursor();
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
