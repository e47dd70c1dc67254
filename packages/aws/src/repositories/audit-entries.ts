import { randomBytes } from "node:crypto";
import type { AuditEntry } from "@charon/core";
import type { TransactItem } from "../dynamodb/table.js";

/**
 * The transaction item that stores an audit entry beside the change it records.
 * Keys: `AUDIT#<yyyy-mm>` / `<timestamp>#<random>` (one partition per month: a time-range read
 * walks a dozen partitions a year, not hundreds of mostly empty days, and the rate of audited
 * changes is far below one partition's write capacity); gsi1 `AUDITRES#<type>#<id>` by
 * resource; gsi2 `AUDITACT#<action>` by action. All sort by timestamp.
 */
export function auditEntryPut(tableName: string, entry: AuditEntry): TransactItem {
  const sortKey = `${entry.timestamp}#${randomBytes(6).toString("hex")}`;
  return {
    Put: {
      TableName: tableName,
      Item: {
        pk: `AUDIT#${entry.timestamp.slice(0, 7)}`,
        sk: sortKey,
        gsi1pk: `AUDITRES#${entry.resourceType}#${entry.resourceId}`,
        gsi1sk: sortKey,
        gsi2pk: `AUDITACT#${entry.action}`,
        gsi2sk: sortKey,
        timestamp: entry.timestamp,
        action: entry.action,
        resource_type: entry.resourceType,
        resource_id: entry.resourceId,
        resource_name: entry.resourceName,
        provider: entry.provider,
        zone_filter: entry.zoneFilter,
        user: entry.user,
        ip_address: entry.ipAddress,
        details: entry.details,
      },
    },
  };
}
