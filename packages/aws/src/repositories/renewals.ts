import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { nextLookAt, type Certificate, type ExpiryIndex, type FailedAuthorizations, type RenewalIndex, type RenewalSchedule } from "@charon/core";
import { tableSchema } from "../dynamodb/schema.js";
import { ConditionFailed, type DynamoTable, type Item } from "../dynamodb/table.js";
import { sortableId } from "../dynamodb/sortable-id.js";
import { updateItem } from "./item-update.js";

/**
 * Partitions of the renewal index. Certificates spread over them by id, so no partition holds
 * them all (DynamoDB gives each partition key ~3 000 reads/s); a sweep queries each.
 */
export const RENEWAL_SHARDS = 8;

/**
 * gsi2 of a certificate in service: `RENEWAL#<id mod 8>` / `<next look ISO 8601>#<id>`, so that
 * `gsi2sk < "<now>$"` is exactly the certificates a sweep must look at now.
 */
export function renewalIndexKeys(certificateId: number, schedule: RenewalSchedule): { gsi2pk: string; gsi2sk: string } {
  return {
    gsi2pk: `RENEWAL#${certificateId % RENEWAL_SHARDS}`,
    gsi2sk: `${nextLookAt(schedule).toISOString()}#${sortableId(certificateId)}`,
  };
}

/** `SET` clauses and values writing `schedule` and its index keys onto a certificate item. */
export function scheduleUpdate(certificateId: number, schedule: RenewalSchedule): { sets: string[]; values: Record<string, unknown> } {
  const fields: Record<string, unknown> = { ...schedule, ...renewalIndexKeys(certificateId, schedule) };
  return {
    sets: Object.keys(fields).map((name) => `${name} = :${name}`),
    values: Object.fromEntries(Object.entries(fields).map(([name, value]) => [`:${name}`, value])),
  };
}

/** `RENEWALS` / `BACKFILL`: present once certificates stored without a renewal schedule were given one. */
const BACKFILL_KEY = { pk: "RENEWALS", sk: "BACKFILL" };

/**
 * The renewal index over the certificate items themselves (packages/aws/README.md,
 * "Certificates"): a sweep reads, per shard, only the certificates filed at or before now.
 * `readCapacity` adds up the read capacity units those queries consumed (`ReturnConsumedCapacity`).
 */
export class DynamoRenewalIndex implements RenewalIndex {
  /** Read capacity units consumed by `due` since this index was made. */
  readCapacity = 0;

  constructor(
    private readonly table: DynamoTable,
    private readonly fromItem: (item: Item) => Certificate,
  ) {}

  async due(now: Date): Promise<Certificate[]> {
    const { items, capacity } = await filedBefore(this.table, "RENEWAL", now);
    this.readCapacity += capacity;
    return items.map((item) => this.fromItem(item));
  }

  async backfilled(): Promise<boolean> {
    return (await this.table.get(BACKFILL_KEY, true)) !== undefined;
  }

  async markBackfilled(at: Date): Promise<void> {
    await this.table.put({ ...BACKFILL_KEY, done_at: at.toISOString() });
  }

  async reschedule(certificateId: number, serial: string, schedule: RenewalSchedule): Promise<boolean> {
    const { sets, values } = scheduleUpdate(certificateId, schedule);
    try {
      await updateItem(this.table, { pk: `CERTIFICATE#${certificateId}`, sk: "CERTIFICATE" }, {
        expression: `SET ${sets.join(", ")}`,
        condition: "serial = :serial",
        values: { ...values, ":serial": serial },
      });
      return true;
    } catch (error) {
      // Renewed (a new serial with its own schedule) or deleted meanwhile.
      if (error instanceof ConditionFailed) return false;
      throw error;
    }
  }
}

/**
 * Every item filed in gsi2 under `<prefix>#<shard>` (all shards) with a sort key before `before`
 * (`<ISO 8601>#<id>`), and the read capacity the queries consumed.
 */
async function filedBefore(table: DynamoTable, prefix: string, before: Date): Promise<{ items: Item[]; capacity: number }> {
  const upper = `${before.toISOString()}$`; // "$" sorts after "#": every entry of `before` itself is in.
  const shard = async (n: number) => {
    const found: Item[] = [];
    let capacity = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const result = await table.client.send(
        new QueryCommand({
          TableName: table.name,
          IndexName: "gsi2",
          KeyConditionExpression: "gsi2pk = :pk AND gsi2sk < :upper",
          ExpressionAttributeValues: { ":pk": `${prefix}#${n}`, ":upper": upper },
          ExclusiveStartKey: start,
          ReturnConsumedCapacity: "TOTAL",
        }),
      );
      capacity += result.ConsumedCapacity?.CapacityUnits ?? 0;
      found.push(...((result.Items ?? []) as Item[]));
      start = result.LastEvaluatedKey;
    } while (start !== undefined);
    return { found, capacity };
  };
  const shards = await Promise.all(Array.from({ length: RENEWAL_SHARDS }, (_, n) => shard(n)));
  return { items: shards.flatMap((s) => s.found), capacity: shards.reduce((sum, s) => sum + s.capacity, 0) };
}

/** How long an expiry item outlives its expiry (TTL): past the last warning about it. */
const EXPIRY_KEPT_SECONDS = 30 * 86_400;

/**
 * `CERTIFICATE#<id>` / `EXPIRY`, gsi2 `EXPIRY#<id mod 8>` / `<expires_on>#<id>`: the certificate's
 * entry in the expiry index, written with every `expires_on` it gets (issuance, renewal), deleted
 * with it, and removed by TTL 30 days after that expiry.
 */
export function expiryItem(certificateId: number, expiresOn: string): Item {
  return {
    ...expiryKey(certificateId),
    gsi2pk: `EXPIRY#${certificateId % RENEWAL_SHARDS}`,
    gsi2sk: `${expiresOn}#${sortableId(certificateId)}`,
    certificate_id: certificateId,
    [tableSchema.ttlAttribute]: Math.floor(Date.parse(expiresOn) / 1000) + EXPIRY_KEPT_SECONDS,
  };
}

export function expiryKey(certificateId: number) {
  return { pk: `CERTIFICATE#${certificateId}`, sk: "EXPIRY" };
}

/**
 * The expiry index (`expiryItem`): a query per shard for the entries before a time, then the
 * certificates they name, so reads follow what expires. `readCapacity` adds up the queries'.
 */
export class DynamoExpiryIndex implements ExpiryIndex {
  /** Read capacity units consumed by the index queries of `expiringBefore` since this index was made. */
  readCapacity = 0;

  constructor(
    private readonly table: DynamoTable,
    private readonly fromItem: (item: Item) => Certificate,
  ) {}

  async expiringBefore(before: Date): Promise<Certificate[]> {
    const { items, capacity } = await filedBefore(this.table, "EXPIRY", before);
    this.readCapacity += capacity;
    const keys = items.map((item) => ({ pk: `CERTIFICATE#${Number(item["certificate_id"])}`, sk: "CERTIFICATE" }));
    // An entry whose certificate is gone names nothing: filed by a backfill as the certificate was
    // deleted (a delete removes its entry with it); TTL removes such.
    return (await this.table.batchGet<Item>(keys)).map((item) => this.fromItem(item)).filter((c) => c.expires_on !== null);
  }

  async file(certificateId: number, expiresOn: string): Promise<void> {
    try {
      await this.table.put(expiryItem(certificateId, expiresOn), { expression: "attribute_not_exists(pk)" });
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
    }
  }
}

/**
 * `AUTHZFAIL#<name>` / `HOUR#<yyyy-mm-ddThh>`: `count` of failed orders of a name in
 * that clock hour, removed by TTL an hour after it ends.
 */
export class DynamoFailedAuthorizations implements FailedAuthorizations {
  constructor(private readonly table: DynamoTable) {}

  async count(names: string[], now: Date): Promise<Map<string, number>> {
    if (names.length === 0) return new Map();
    const items = await this.table.batchGet<Item>(names.map((name) => hourKey(name, now)), true);
    return new Map(items.map((item) => [String(item["name"]), Number(item["count"] ?? 0)]));
  }

  async add(names: string[], now: Date): Promise<void> {
    const hourEnd = Math.ceil(now.getTime() / 3_600_000) * 3600;
    await Promise.all(
      [...new Set(names)].map((name) =>
        updateItem(this.table, hourKey(name, now), {
          expression: "ADD #count :one SET #name = :name, #ttl = :ttl",
          names: { "#count": "count", "#name": "name", "#ttl": tableSchema.ttlAttribute },
          values: { ":one": 1, ":name": name, ":ttl": hourEnd + 3600 },
        }),
      ),
    );
  }
}

function hourKey(name: string, now: Date) {
  return { pk: `AUTHZFAIL#${name}`, sk: `HOUR#${now.toISOString().slice(0, 13)}` };
}
