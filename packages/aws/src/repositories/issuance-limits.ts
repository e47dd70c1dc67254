import type { BucketShape, DnsProviderSlots, NewOrderBudget } from "@charon/core";
import { ConditionFailed, type DynamoTable } from "../dynamodb/table.js";
import { updateItem } from "./item-update.js";

/** Rounds of read-and-write a contended take or acquire makes before it reports a short wait. */
const MAX_ROUNDS = 5;

/**
 * The new-order budget as a token bucket kept in one item per (directory, account):
 * `BUDGET#NEW_ORDERS#<directory URL>#<account URL>` / `BUDGET`, with `full_at` (epoch ms), the
 * time the bucket is full again (GCRA's theoretical arrival time). Tokens left at `now` are
 * `capacity - (full_at - now) / refill`, so the refill since the last take follows from the
 * stored time and the clock alone; a take moves `full_at` one refill later.
 * DynamoDB expressions have no max(), hence two writes at most (docs/decisions/0019-issuance-limits.md):
 * a busy bucket (`now ≤ full_at`) takes in one conditional update; a full one (`full_at < now`, or
 * no item) is reset to `now + refill` by a second conditional update; an empty one is answered
 * from the first update's failed item, without another read.
 */
export class DynamoNewOrderBudget implements NewOrderBudget {
  constructor(
    private readonly table: DynamoTable,
    private readonly shape: BucketShape,
  ) {}

  async take(account: { directoryUrl: string; accountUrl: string }, now: Date): Promise<{ taken: true } | { taken: false; waitSeconds: number }> {
    const key = { pk: `BUDGET#NEW_ORDERS#${account.directoryUrl}#${account.accountUrl}`, sk: "BUDGET" };
    const refill = this.shape.refillSeconds * 1000;
    const at = now.getTime();
    // The latest `full_at` that still leaves a token: capacity - 1 refills ahead of now.
    const limit = at + (this.shape.capacity - 1) * refill;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      try {
        await updateItem(this.table, key, {
          expression: "SET full_at = full_at + :refill",
          condition: "full_at BETWEEN :now AND :limit",
          values: { ":refill": refill, ":now": at, ":limit": limit },
        });
        return { taken: true };
      } catch (error) {
        if (!(error instanceof ConditionFailed)) throw error;
        const fullAt = error.item?.["full_at"];
        if (typeof fullAt === "number" && fullAt > limit) {
          return { taken: false, waitSeconds: Math.max(1, Math.ceil((fullAt - limit) / 1000)) };
        }
      }
      try {
        // Full (or never used): this take leaves capacity - 1 tokens.
        await updateItem(this.table, key, {
          expression: "SET full_at = :next",
          condition: "attribute_not_exists(full_at) OR full_at < :now",
          values: { ":next": at + refill, ":now": at },
        });
        return { taken: true };
      } catch (error) {
        // Another worker took from the full bucket in between: its new `full_at` is for the first write.
        if (!(error instanceof ConditionFailed)) throw error;
      }
    }
    return { taken: false, waitSeconds: 1 };
  }
}

type SlotItem = { sk: string; owner: string; lease_until: number };

/**
 * DNS provider slots as up to `slots` items in the provider's partition:
 * `SLOTS#DNS_PROVIDER#<id>` / `SLOT#<n>` (n < slots), with `owner` (the order's id),
 * `lease_until` (epoch ms) and `expires_at_epoch` (the table's TTL, a minute after the lease, so
 * abandoned slots go). An acquire reads the partition (consistent) and makes one conditional put
 * on the owner's own slot, else on a free or expired one; a conditional delete releases it.
 * Why slot items rather than one counter: docs/decisions/0019-issuance-limits.md.
 */
export class DynamoDnsProviderSlots implements DnsProviderSlots {
  constructor(
    private readonly table: DynamoTable,
    private readonly slots: number,
  ) {}

  async acquire(providerId: number, owner: string, now: Date, until: Date): Promise<{ held: true } | { held: false; waitSeconds: number }> {
    const at = now.getTime();
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const held = await this.held(providerId);
      const own = held.find((slot) => slot.owner === owner);
      const live = new Map(held.filter((slot) => slot.lease_until >= at).map((slot) => [slot.sk, slot]));
      const free = Array.from({ length: this.slots }, (_, n) => slotKey(n)).filter((sk) => !live.has(sk));
      // A free slot at random: orders arriving together mostly try different items, not all the first.
      const sk = own?.sk ?? free[Math.floor(Math.random() * free.length)];
      if (sk === undefined) {
        const firstEnd = Math.min(...[...live.values()].map((slot) => slot.lease_until));
        return { held: false, waitSeconds: Math.max(1, Math.ceil((firstEnd - at) / 1000)) };
      }
      const leaseUntil = until.getTime();
      try {
        await this.table.put(
          { pk: partitionOf(providerId), sk, owner, lease_until: leaseUntil, expires_at_epoch: Math.ceil(leaseUntil / 1000) + 60 },
          {
            expression: "attribute_not_exists(pk) OR lease_until < :now OR #owner = :owner",
            names: { "#owner": "owner" },
            values: { ":now": at, ":owner": owner },
          },
        );
        return { held: true };
      } catch (error) {
        // Another order took that slot first: look again.
        if (!(error instanceof ConditionFailed)) throw error;
      }
    }
    return { held: false, waitSeconds: 1 };
  }

  async release(providerId: number, owner: string): Promise<void> {
    for (const slot of await this.held(providerId)) {
      if (slot.owner !== owner) continue;
      try {
        await this.table.delete(
          { pk: partitionOf(providerId), sk: slot.sk },
          { expression: "#owner = :owner", names: { "#owner": "owner" }, values: { ":owner": owner } },
        );
      } catch (error) {
        // Expired and taken by another order meanwhile: nothing of ours to give back.
        if (!(error instanceof ConditionFailed)) throw error;
      }
    }
  }

  private held(providerId: number): Promise<SlotItem[]> {
    return this.table.queryAll<SlotItem>({ partition: partitionOf(providerId), consistent: true });
  }
}

function partitionOf(providerId: number): string {
  return `SLOTS#DNS_PROVIDER#${providerId}`;
}

function slotKey(n: number): string {
  return `SLOT#${String(n).padStart(4, "0")}`;
}
