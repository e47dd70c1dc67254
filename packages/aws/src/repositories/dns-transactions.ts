import { setTimeout as sleep } from "node:timers/promises";
import { TransactionConflict, type DynamoTable, type TransactItem } from "../dynamodb/table.js";

const MAX_ATTEMPTS = 6;

/**
 * A transaction retried while DynamoDB cancels it only because another transaction held one of
 * its items (`TransactionConflict`, which real DynamoDB reports under concurrent writes to one
 * item). A failed condition is an answer, not contention, and is thrown at once.
 */
export async function transactWithRetry(table: DynamoTable, items: TransactItem[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await table.transact(items);
      return;
    } catch (error) {
      const contended =
        error instanceof TransactionConflict &&
        error.firstFailed() === -1 &&
        error.reasons.some((r) => r.code === "TransactionConflict");
      if (!contended || attempt === MAX_ATTEMPTS) throw error;
      await sleep(Math.random() * 20 * 2 ** attempt);
    }
  }
}
