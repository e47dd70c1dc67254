import { beforeAll, describe, expect, it } from "vitest";
import { DynamoRecordLeases, type DynamoTable } from "@charon/aws";
import { freshTable } from "../../../test/harness/dynamodb.js";
import { manualClock } from "../../../test/support/dns-app.js";

/** dns-01.md §2: one lease per record name in the table, shared by every process. */
let table: DynamoTable;
beforeAll(async () => {
  table = await freshTable();
});

describe("record leases", () => {
  it("lets one owner hold a record name until it releases it", async () => {
    const leases = new DynamoRecordLeases(table, manualClock());
    expect(await leases.acquire("_acme-challenge.a.test", "worker-1", 30_000)).toBe(true);
    expect(await leases.acquire("_acme-challenge.a.test", "worker-2", 30_000)).toBe(false);
    expect(await leases.acquire("_acme-challenge.b.test", "worker-2", 30_000)).toBe(true);
    // Another owner's release leaves the lease alone.
    await leases.release("_acme-challenge.a.test", "worker-2");
    expect(await leases.acquire("_acme-challenge.a.test", "worker-2", 30_000)).toBe(false);
    await leases.release("_acme-challenge.a.test", "worker-1");
    expect(await leases.acquire("_acme-challenge.a.test", "worker-2", 30_000)).toBe(true);
  });

  it("renews for its holder, and passes to another owner once expired (a holder that crashed)", async () => {
    const clock = manualClock();
    const leases = new DynamoRecordLeases(table, clock);
    expect(await leases.acquire("_acme-challenge.c.test", "crashed", 30_000)).toBe(true);
    expect(await leases.acquire("_acme-challenge.c.test", "crashed", 30_000)).toBe(true);
    clock.advance(29_999);
    expect(await leases.acquire("_acme-challenge.c.test", "next", 30_000)).toBe(false);
    clock.advance(2);
    expect(await leases.acquire("_acme-challenge.c.test", "next", 30_000)).toBe(true);
    // The old holder, back late, neither takes it again nor frees it for others.
    expect(await leases.acquire("_acme-challenge.c.test", "crashed", 30_000)).toBe(false);
    await leases.release("_acme-challenge.c.test", "crashed");
    expect(await leases.acquire("_acme-challenge.c.test", "third", 30_000)).toBe(false);
  });

  it("gives a record name to exactly one of many simultaneous owners", async () => {
    const leases = new DynamoRecordLeases(table, manualClock());
    const owners = Array.from({ length: 20 }, (_, i) => `owner-${i}`);
    const taken = await Promise.all(owners.map((owner) => leases.acquire("_acme-challenge.d.test", owner, 30_000)));
    expect(taken.filter(Boolean)).toHaveLength(1);
  });
});
