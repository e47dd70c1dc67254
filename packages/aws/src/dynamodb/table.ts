import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from "@aws-sdk/lib-dynamodb";
import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { ServiceUnavailableError, ValidationError, type Page } from "@charon/core";
import { CursorSigner, newCursorKey } from "./cursor.js";
import { tableSchema, type GlobalIndexName } from "./schema.js";

export type Item = Record<string, unknown>;
export interface Key {
  pk: string;
  sk: string;
}
export type TransactItem = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];

/** What a transaction item writes (a Put's whole item) or names (the key of the others). */
export function itemOf(item: TransactItem): Item | undefined {
  return item.Put?.Item ?? item.Update?.Key ?? item.Delete?.Key ?? item.ConditionCheck?.Key;
}

/**
 * A conditional write inside a transaction failed. `reasons[i]` belongs to the i-th item of
 * the transaction; `item` is that item as stored when its condition failed, so callers can name
 * what they collided with (e.g. `conflicting_credential_id`) without another read.
 */
export class TransactionConflict extends Error {
  constructor(
    readonly reasons: Array<{ code: string; item?: Item }>,
    options?: { cause?: unknown },
  ) {
    super(`Transaction cancelled: ${reasons.map((r) => r.code).join(", ")}`, options);
    this.name = "TransactionConflict";
  }

  /** Index of the first item whose condition failed, or -1. */
  firstFailed(): number {
    return this.reasons.findIndex((r) => r.code === "ConditionalCheckFailed");
  }
}

/** A conditional single-item write failed; `item` is the stored item, when there is one. */
export class ConditionFailed extends Error {
  constructor(
    readonly item: Item | undefined,
    options?: { cause?: unknown },
  ) {
    super("Conditional write failed", options);
    this.name = "ConditionFailed";
  }
}

const MAX_BATCH_GET = 100;
const MAX_BATCH_ATTEMPTS = 8;

/**
 * The one DynamoDB table, with the few operations repositories build on. It owns cursor
 * encoding, the translation of conditional failures into typed errors, and retries of
 * unprocessed batch keys; repositories own key design.
 */
export class DynamoTable {
  private readonly cursors = new CursorSigner(() => this.cursorKey());

  constructor(
    readonly client: DynamoDBDocumentClient,
    readonly name: string,
  ) {
    // Outermost, so that it sees what the SDK's own retries could not overcome.
    client.middlewareStack.add(
      (next) => async (args) => {
        try {
          return await next(args);
        } catch (error) {
          if (!isTransient(error)) throw error;
          throw new ServiceUnavailableError("The data store did not answer in time; retry in a few seconds", { cause: error });
        }
      },
      { step: "initialize", name: "charonTransientErrors" },
    );
  }

  /** Next integer of a named sequence; atomic, never reused (ADD on a counter item). */
  async nextId(sequence: string): Promise<number> {
    const result = await this.client.send(
      new UpdateCommand({
        TableName: this.name,
        Key: { pk: `SEQUENCE#${sequence}`, sk: "SEQUENCE" },
        UpdateExpression: "ADD #value :one",
        ExpressionAttributeNames: { "#value": "value" },
        ExpressionAttributeValues: { ":one": 1 },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    return Number(result.Attributes?.["value"]);
  }

  async get<T extends Item>(key: Key, consistent = false): Promise<T | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.name, Key: key, ConsistentRead: consistent }),
    );
    return result.Item as T | undefined;
  }

  /** Items for `keys` (missing ones omitted), in no particular order. */
  async batchGet<T extends Item>(keys: Key[], consistent = false): Promise<T[]> {
    const found: T[] = [];
    for (let start = 0; start < keys.length; start += MAX_BATCH_GET) {
      let pending: Key[] = keys.slice(start, start + MAX_BATCH_GET);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt === MAX_BATCH_ATTEMPTS) throw new Error("DynamoDB left keys unprocessed");
        if (attempt > 0) await backoff(attempt);
        const result = await this.client.send(
          new BatchGetCommand({
            RequestItems: { [this.name]: { Keys: pending, ConsistentRead: consistent } },
          }),
        );
        found.push(...((result.Responses?.[this.name] ?? []) as T[]));
        pending = (result.UnprocessedKeys?.[this.name]?.Keys ?? []) as Key[];
      }
    }
    return found;
  }

  /**
   * One page of a partition, optionally narrowed to sort keys starting with `prefix` or lying
   * within `between` (inclusive bounds; give one or the other).
   */
  async query<T extends Item>(options: {
    partition: string;
    prefix?: string;
    between?: [string, string];
    index?: GlobalIndexName;
    limit?: number;
    cursor?: string;
    descending?: boolean;
    consistent?: boolean;
    /** Aborts the request (the client that asked went away). */
    signal?: AbortSignal;
  }): Promise<Page<T>> {
    const index = indexNamed(options.index);
    const pkName = index?.partitionKey ?? tableSchema.partitionKey;
    const skName = index?.sortKey ?? tableSchema.sortKey;
    const sortKeyCondition =
      options.prefix !== undefined
        ? { expression: " AND begins_with(#sk, :prefix)", values: { ":prefix": options.prefix } }
        : options.between !== undefined
          ? { expression: " AND #sk BETWEEN :low AND :high", values: { ":low": options.between[0], ":high": options.between[1] } }
          : undefined;
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.name,
        IndexName: index?.name,
        KeyConditionExpression: `#pk = :pk${sortKeyCondition?.expression ?? ""}`,
        ExpressionAttributeNames: sortKeyCondition ? { "#pk": pkName, "#sk": skName } : { "#pk": pkName },
        ExpressionAttributeValues: { ":pk": options.partition, ...sortKeyCondition?.values },
        Limit: options.limit,
        ExclusiveStartKey:
          options.cursor === undefined
            ? undefined
            : checkedKey(await this.cursors.open(listing(options), options.cursor), keyNames(index), {
                [pkName]: (value) => value === options.partition,
                [skName]: (value) =>
                  (options.prefix === undefined || value.startsWith(options.prefix)) &&
                  (options.between === undefined || (options.between[0] <= value && value <= options.between[1])),
              }),
        ScanIndexForward: !options.descending,
        ConsistentRead: index === undefined ? options.consistent : undefined,
      }),
      { abortSignal: options.signal },
    );
    return {
      items: (result.Items ?? []) as T[],
      cursor: result.LastEvaluatedKey ? await this.cursors.seal(listing(options), result.LastEvaluatedKey) : undefined,
    };
  }

  /**
   * A page for an API: like `query`, but its cursor is absent whenever no item follows (DynamoDB
   * itself returns a cursor after a page that happens to end the partition). Reads one item more
   * than `limit` to know. Items are handed back as `from` makes them.
   */
  async queryPage<T extends Item, U>(
    options: Parameters<DynamoTable["query"]>[0] & { limit: number },
    from: (item: T) => U,
  ): Promise<Page<U>> {
    const result = await this.query<T>({ ...options, limit: options.limit + 1 });
    const read = result.items.slice(0, options.limit);
    const items = read.map(from);
    const last = read[read.length - 1];
    if (result.items.length <= options.limit || last === undefined) return { items };
    const names = keyNames(indexNamed(options.index));
    return { items, cursor: await this.cursors.seal(listing(options), Object.fromEntries(names.map((name) => [name, last[name]]))) };
  }

  /**
   * A cursor for a listing a repository pages itself (over several partitions, say): `position`
   * signed for `listing` as `query` signs its own. `listing` must not take the form
   * `<index or "table">/<partition>` of `query`'s listings.
   */
  sealCursor(listing: string, position: Record<string, unknown>): Promise<string> {
    return this.cursors.seal(listing, position);
  }

  /** The position `sealCursor` signed for `listing`; a 400 `Invalid cursor` for any other cursor. */
  async openCursor(listing: string, cursor: string): Promise<unknown> {
    const position = await this.cursors.open(listing, cursor);
    if (position === undefined) throw invalidCursor();
    return position;
  }

  /** Every item of a partition (prefix-narrowed), following pages. For bounded partitions only. */
  async queryAll<T extends Item>(options: {
    partition: string;
    prefix?: string;
    index?: GlobalIndexName;
    consistent?: boolean;
  }): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.query<T>({ ...options, cursor });
      items.push(...page.items);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return items;
  }

  /**
   * The key that signs this table's cursors: 32 random bytes created by the first reader and
   * kept in the table (`CURSORKEY` / `CURSORKEY`), so every Lambda instance and `npm start`
   * share it across restarts with no setting to manage. Two first readers race on a
   * conditional put; the loser reads the winner's key.
   */
  private async cursorKey(): Promise<Buffer> {
    const stored = await this.get<Item>(CURSOR_KEY, true);
    if (stored !== undefined) return Buffer.from(stored["key"] as Uint8Array);
    try {
      const key = newCursorKey();
      await this.put({ ...CURSOR_KEY, key }, { expression: "attribute_not_exists(pk)" });
      return key;
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
      const winner = await this.get<Item>(CURSOR_KEY, true);
      return Buffer.from(winner!["key"] as Uint8Array);
    }
  }

  /** Put with an optional condition; a failed condition raises ConditionFailed. */
  async put(item: Item, condition?: Condition): Promise<void> {
    await this.conditional(() =>
      this.client.send(
        new PutCommand({
          TableName: this.name,
          Item: item,
          ...conditionParams(condition),
          ReturnValuesOnConditionCheckFailure: condition ? "ALL_OLD" : undefined,
        }),
      ),
    );
  }

  async delete(key: Key, condition?: Condition): Promise<void> {
    await this.conditional(() =>
      this.client.send(
        new DeleteCommand({
          TableName: this.name,
          Key: key,
          ...conditionParams(condition),
          ReturnValuesOnConditionCheckFailure: condition ? "ALL_OLD" : undefined,
        }),
      ),
    );
  }

  /**
   * All-or-nothing write of up to 100 items. Each item names the table itself through
   * `this.name`; conditional failures become TransactionConflict with the stored items.
   */
  async transact(items: TransactItem[]): Promise<void> {
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const reasons = (error.CancellationReasons ?? []).map((reason) => ({
          code: reason.Code ?? "Unknown",
          item: reason.Item ? unmarshallLoose(reason.Item) : undefined,
        }));
        throw new TransactionConflict(reasons, { cause: error });
      }
      throw error;
    }
  }

  private async conditional(write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ConditionFailed(error.Item ? unmarshallLoose(error.Item) : undefined, {
          cause: error,
        });
      }
      throw error;
    }
  }
}

export interface Condition {
  expression: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

function conditionParams(condition: Condition | undefined) {
  if (!condition) return {};
  return {
    ConditionExpression: condition.expression,
    ExpressionAttributeNames: condition.names,
    ExpressionAttributeValues: condition.values,
  };
}

// Cancellation reasons carry raw AttributeValues even through the document client.
function unmarshallLoose(raw: Record<string, unknown>): Item {
  return unmarshall(raw as Parameters<typeof unmarshall>[0]);
}

const CURSOR_KEY: Key = { pk: "CURSORKEY", sk: "CURSORKEY" };

/** What a cursor is signed for: the index and partition it pages through. */
function listing(options: { index?: GlobalIndexName; partition: string }): string {
  return `${options.index ?? "table"}/${options.partition}`;
}

/**
 * The key a signed cursor holds, checked again before DynamoDB sees it: a cursor that was
 * altered, made by hand, or belongs to another listing is the client's mistake (400), not a
 * failed query. `within` says which values the query's own keys may take (its partition, its
 * sort-key range, which a caller's filters may have narrowed since the cursor was issued).
 */
function checkedKey(parsed: unknown, names: string[], within: Record<string, (value: string) => boolean>): Record<string, unknown> {
  const key = parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  const valid =
    Object.keys(key).length === names.length &&
    names.every((name) => {
      const value = key[name];
      return (
        typeof value === "string" &&
        value.length > 0 &&
        Buffer.byteLength(value) <= MAX_KEY_BYTES &&
        (within[name]?.(value) ?? true)
      );
    });
  if (!valid) throw invalidCursor();
  return key;
}

/** A cursor this listing did not issue: the client's mistake, named by its parameter. */
export function invalidCursor(): ValidationError {
  return new ValidationError("cursor: not one this listing returned; start again without it", "Invalid cursor");
}

// DynamoDB's limit on a partition key; sort keys allow 1024. Anything longer was not issued by us.
const MAX_KEY_BYTES = 2048;

// What DynamoDB or the way to it says when it is throttled, busy, down or out of reach.
const TRANSIENT_NAMES = new Set([
  "TimeoutError",
  "ThrottlingException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "InternalServerError",
  "ServiceUnavailable",
]);
const TRANSIENT_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN"]);

function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { $fault, code } = error as { $fault?: unknown; code?: unknown };
  return TRANSIENT_NAMES.has(error.name) || $fault === "server" || (typeof code === "string" && TRANSIENT_CODES.has(code));
}

function indexNamed(name: GlobalIndexName | undefined) {
  return tableSchema.globalIndexes.find((index) => index.name === name);
}

/** The attributes of a query's LastEvaluatedKey: the table's key, and the index's when it reads one. */
function keyNames(index: ReturnType<typeof indexNamed>): string[] {
  const names: string[] = [tableSchema.partitionKey, tableSchema.sortKey];
  if (index) names.push(index.partitionKey, index.sortKey);
  return names;
}

function backoff(attempt: number): Promise<void> {
  const delay = Math.min(1000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2);
  return new Promise((resolve) => setTimeout(resolve, delay));
}
