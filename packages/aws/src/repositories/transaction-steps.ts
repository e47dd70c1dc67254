import { TransactionConflict, itemOf, type DynamoTable, type Item, type TransactItem } from "../dynamodb/table.js";
import { transactWithRetry } from "./contention.js";

/** DynamoDB's limit on the items of one TransactWriteItems call. */
export const MAX_TRANSACTION_ITEMS = 100;

/**
 * A condition of one written item failed: `failed` is that item as it was sent (its key says
 * what it was), `stored` the item found in the table, when there was one.
 */
export class WriteConflict extends Error {
  constructor(
    readonly failed: TransactItem,
    readonly stored: Item | undefined,
    options?: { cause?: unknown },
  ) {
    super("A conditional write failed", options);
    this.name = "WriteConflict";
  }

  /** The partition key of the item whose condition failed. */
  get partition(): string {
    return String(itemOf(this.failed)?.["pk"] ?? "");
  }
}

/**
 * Proxy hosts' writes (certificates have their own steps, `certificates.ts`, because each of
 * their steps carries counters of its own).
 * A write whose `core` items (the entity, its audit entry, counters) must commit together, with
 * `before` items that should join them and `after` items that may follow. When everything fits
 * in one transaction it is one transaction. Otherwise the `before` items that do not fit are
 * written first, in their own transactions (undone if a later step fails), and the `after`
 * items that do not fit are written last (docs/decisions/0008-large-transactions.md).
 * A failed condition anywhere surfaces as WriteConflict; DynamoDB's own TransactionConflict
 * (two transactions on one item at once) is retried, and surfaces as TransactionConflict only
 * when it outlasts the retries.
 */
export async function writeInSteps(
  table: DynamoTable,
  step: {
    core: TransactItem[];
    before?: TransactItem[];
    after?: TransactItem[];
    undoBefore?: (item: TransactItem) => TransactItem;
  },
): Promise<void> {
  const before = step.before ?? [];
  const after = step.after ?? [];
  const room = MAX_TRANSACTION_ITEMS - step.core.length;
  const inlineBefore = before.slice(0, room);
  const inlineAfter = after.slice(0, room - inlineBefore.length);
  const written: TransactItem[] = [];
  try {
    for (const chunk of chunks(before.slice(inlineBefore.length))) {
      await transactNamed(table, chunk);
      written.push(...chunk);
    }
    await transactNamed(table, [...step.core, ...inlineBefore, ...inlineAfter]);
  } catch (error) {
    if (step.undoBefore) {
      for (const chunk of chunks(written.map(step.undoBefore))) await table.transact(chunk).catch(() => undefined);
    }
    throw error;
  }
  // The change is committed; what is left only releases domain claims, and leftover claims are
  // recognised as stale by their readers, so a failure here must not turn the committed change
  // into an error.
  for (const chunk of chunks(after.slice(inlineAfter.length))) await transactNamed(table, chunk).catch(() => undefined);
}

/**
 * One transaction, retried while DynamoDB cancels it for contention (`transactWithRetry`); a
 * failed condition surfaces as WriteConflict naming the item, contention that outlasts the
 * retries as TransactionConflict.
 */
export async function transactNamed(table: DynamoTable, items: TransactItem[]): Promise<void> {
  try {
    await transactWithRetry(table, items);
  } catch (error) {
    if (error instanceof TransactionConflict) {
      const index = error.firstFailed();
      const failed = items[index];
      if (failed) throw new WriteConflict(failed, error.reasons[index]?.item, { cause: error });
    }
    throw error;
  }
}

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_TRANSACTION_ITEMS) out.push(items.slice(i, i + MAX_TRANSACTION_ITEMS));
  return out;
}
