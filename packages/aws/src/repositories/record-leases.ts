import type { Clock, RecordLeases } from "@charon/core";
import { ConditionFailed, type DynamoTable } from "../dynamodb/table.js";

/**
 * Item: `LEASE#RECORD#<record name>` / `LEASE`, with `owner`, `lease_until` (epoch ms) and
 * `expires_at_epoch` (the table's TTL, a minute after the lease ends, so abandoned leases go).
 * One conditional put takes a free, expired or own lease; a conditional delete releases it.
 */
export class DynamoRecordLeases implements RecordLeases {
  constructor(
    private readonly table: DynamoTable,
    private readonly clock: Clock,
  ) {}

  async acquire(recordName: string, owner: string, durationMs: number): Promise<boolean> {
    const now = this.clock.now().getTime();
    const until = now + durationMs;
    try {
      await this.table.put(
        { ...leaseKey(recordName), owner, lease_until: until, expires_at_epoch: Math.ceil(until / 1000) + 60 },
        {
          expression: "attribute_not_exists(pk) OR lease_until < :now OR #owner = :owner",
          names: { "#owner": "owner" },
          values: { ":now": now, ":owner": owner },
        },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionFailed) return false;
      throw error;
    }
  }

  async release(recordName: string, owner: string): Promise<void> {
    try {
      await this.table.delete(leaseKey(recordName), {
        expression: "#owner = :owner",
        names: { "#owner": "owner" },
        values: { ":owner": owner },
      });
    } catch (error) {
      // Expired and taken over by another owner, or gone already: nothing of ours to release.
      if (!(error instanceof ConditionFailed)) throw error;
    }
  }
}

function leaseKey(recordName: string) {
  return { pk: `LEASE#RECORD#${recordName}`, sk: "LEASE" };
}
