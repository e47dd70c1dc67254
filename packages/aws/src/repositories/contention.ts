import { setTimeout as sleep } from "node:timers/promises";
import { TransactionConflict, type DynamoTable, type TransactItem } from "../dynamodb/table.js";

const MAX_ATTEMPTS = 6;

/**
 * DynamoDB cancelled a transaction only because other transactions held its items
 * (`TransactionConflict`, which real DynamoDB reports under concurrent writes to one item), as
 * opposed to a condition that failed: the write was not judged, just crowded out.
 */
export function isContention(error: unknown): boolean {
  return (
    error instanceof TransactionConflict &&
    error.firstFailed() === -1 &&
    error.reasons.some((r) => r.code === "TransactionConflict")
  );
}

/**
 * A transaction retried with jittered back-off while it meets contention. A failed condition
 * is an answer, and is thrown at once.
 */
export async function transactWithRetry(table: DynamoTable, items: TransactItem[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await table.transact(items);
      return;
    } catch (error) {
      if (!isContention(error) || attempt === MAX_ATTEMPTS) throw error;
      await sleep(Math.random() * 20 * 2 ** attempt);
    }
  }
}
