import { beforeAll, describe, expect, it } from "vitest";
import { DynamoDnsProviderSlots, DynamoNewOrderBudget, type DynamoTable } from "@charon/aws";
import { freshTable } from "../../../test/harness/dynamodb.js";

/** Issue 9 §3: the CA's new-order budget and DNS provider slots, kept in DynamoDB Local. */
let table: DynamoTable;
beforeAll(async () => {
  table = await freshTable();
});

const t0 = Date.parse("2026-11-30T00:00:00Z");
const at = (seconds: number) => new Date(t0 + seconds * 1000);
let accounts = 0;
const account = () => ({ directoryUrl: "https://ca.test/dir", accountUrl: `https://ca.test/acct/${++accounts}` });

describe("the new-order budget (token bucket per ACME account)", () => {
  it("gives the capacity at once, then says how long until the next token, then one token per refill", async () => {
    const budget = new DynamoNewOrderBudget(table, { capacity: 3, refillSeconds: 36 });
    const acct = account();
    for (let i = 0; i < 3; i++) expect(await budget.take(acct, at(0))).toEqual({ taken: true });
    expect(await budget.take(acct, at(0))).toEqual({ taken: false, waitSeconds: 36 });
    expect(await budget.take(acct, at(20))).toEqual({ taken: false, waitSeconds: 16 });
    expect(await budget.take(acct, at(36))).toEqual({ taken: true });
    expect(await budget.take(acct, at(36))).toEqual({ taken: false, waitSeconds: 36 });
    // Two refills later: two tokens, no more.
    expect(await budget.take(acct, at(108))).toEqual({ taken: true });
    expect(await budget.take(acct, at(108))).toEqual({ taken: true });
    expect(await budget.take(acct, at(108))).toEqual({ taken: false, waitSeconds: 36 });
  });

  it("fills up to its capacity and no further, however long it was idle", async () => {
    const budget = new DynamoNewOrderBudget(table, { capacity: 2, refillSeconds: 36 });
    const acct = account();
    expect(await budget.take(acct, at(0))).toEqual({ taken: true });
    const later = 10 * 3600;
    expect(await budget.take(acct, at(later))).toEqual({ taken: true });
    expect(await budget.take(acct, at(later))).toEqual({ taken: true });
    expect(await budget.take(acct, at(later))).toEqual({ taken: false, waitSeconds: 36 });
  });

  it("keeps one bucket per account and directory", async () => {
    const budget = new DynamoNewOrderBudget(table, { capacity: 1, refillSeconds: 36 });
    const acct = account();
    expect(await budget.take(acct, at(0))).toEqual({ taken: true });
    expect(await budget.take(acct, at(0))).toMatchObject({ taken: false });
    expect(await budget.take(account(), at(0))).toEqual({ taken: true });
    expect(await budget.take({ ...acct, directoryUrl: "https://other-ca.test/dir" }, at(0))).toEqual({ taken: true });
  });

  it("hands out exactly its capacity to many simultaneous takers", async () => {
    const budget = new DynamoNewOrderBudget(table, { capacity: 5, refillSeconds: 36 });
    const acct = account();
    const results = await Promise.all(Array.from({ length: 12 }, () => budget.take(acct, at(0))));
    expect(results.filter((r) => r.taken)).toHaveLength(5);
  });
});

describe("DNS provider slots (leases owned by orders)", () => {
  const lease = (from: number, seconds = 120) => [at(from), at(from + seconds)] as const;

  it("holds N orders at once; the N+1th waits until the first lease ends, and gets a slot once one is released", async () => {
    const slots = new DynamoDnsProviderSlots(table, 2);
    expect(await slots.acquire(1, "order-a", ...lease(0))).toEqual({ held: true });
    expect(await slots.acquire(1, "order-b", ...lease(10))).toEqual({ held: true });
    expect(await slots.acquire(1, "order-c", ...lease(30))).toEqual({ held: false, waitSeconds: 90 });
    // Another provider's slots are its own.
    expect(await slots.acquire(2, "order-c", ...lease(30))).toEqual({ held: true });
    await slots.release(1, "order-b");
    expect(await slots.acquire(1, "order-c", ...lease(31))).toEqual({ held: true });
    expect(await slots.acquire(1, "order-d", ...lease(31))).toMatchObject({ held: false });
  });

  it("lets the same order take its own slot again (a resumed order, a duplicate delivery) and extend it", async () => {
    const slots = new DynamoDnsProviderSlots(table, 1);
    expect(await slots.acquire(3, "order-a", ...lease(0))).toEqual({ held: true });
    expect(await slots.acquire(3, "order-a", ...lease(60, 300))).toEqual({ held: true });
    // Extended: at 200 s, past the first lease's end, the slot is still order-a's.
    expect(await slots.acquire(3, "order-b", ...lease(200))).toEqual({ held: false, waitSeconds: 160 });
  });

  it("frees a dead holder's slot when its lease ends; the dead holder's late release frees nothing", async () => {
    const slots = new DynamoDnsProviderSlots(table, 1);
    expect(await slots.acquire(4, "dead", ...lease(0))).toEqual({ held: true });
    expect(await slots.acquire(4, "next", ...lease(120))).toMatchObject({ held: false });
    expect(await slots.acquire(4, "next", ...lease(121))).toEqual({ held: true });
    await slots.release(4, "dead");
    expect(await slots.acquire(4, "third", ...lease(122))).toMatchObject({ held: false });
  });

  it("gives N slots to exactly N of many simultaneous orders", async () => {
    const slots = new DynamoDnsProviderSlots(table, 3);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => slots.acquire(5, `order-${i}`, ...lease(0))));
    expect(results.filter((r) => r.held)).toHaveLength(3);
  });
});
