import { beforeAll, describe, expect, it } from "vitest";
import {
  DynamoCertificateRepository,
  DynamoExpiryIndex,
  DynamoFailedAuthorizations,
  DynamoRenewalIndex,
  RENEWAL_SHARDS,
  certificateFromItem,
  certificateKey,
  renewalIndexKeys,
  type DynamoTable,
} from "@charon/aws";
import { auditEntry, planRenewal, type Certificate, type RenewalSchedule } from "@charon/core";
import { freshTable } from "../../../test/harness/dynamodb.js";

/** The renewal index (gsi2 `RENEWAL#<shard>`) and the hourly failure counters, on DynamoDB Local. */
let table: DynamoTable;
beforeAll(async () => {
  table = await freshTable();
});

const now = new Date("2026-06-01T12:00:00.000Z");
const validity = { issuedAt: now, expiresAt: new Date(now.getTime() + 90 * 86_400_000) };
const base = planRenewal(undefined, { kind: "issued", validity, renewalInfo: false }, now);
const dueIn = (minutes: number): RenewalSchedule => ({ ...base, renewal_due_at: new Date(now.getTime() + minutes * 60_000).toISOString() });

/** A certificate item in service as the repository stores it, filed under `schedule`. */
async function store(id: number, schedule: RenewalSchedule): Promise<void> {
  await table.put({
    ...certificateKey(id),
    ...renewalIndexKeys(id, schedule),
    id,
    domain_names: [`c${id}.example.test`],
    serial: `serial-${id}`,
    status: "active",
    ...schedule,
  });
}

describe("renewal index", () => {
  it("finds exactly the certificates filed at or before now, in every shard, and none of their index keys", async () => {
    // 20 certificates over the 8 shards; those with an odd id were due a minute ago or are due now.
    for (let id = 1; id <= 20; id++) await store(id, dueIn(id % 2 === 1 ? (id === 1 ? 0 : -1) : 60));
    const index = new DynamoRenewalIndex(table, certificateFromItem);
    const due = await index.due(now);
    expect(due.map((c) => c.id).sort((a, b) => a - b)).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
    expect(new Set(due.map((c) => c.id % RENEWAL_SHARDS)).size).toBeGreaterThan(1);
    expect(due[0]).not.toHaveProperty("gsi2pk");
    expect(index.readCapacity).toBeGreaterThan(0);
  });

  it("files a certificate again only while its serial is the one read (a renewal stored meanwhile keeps its own)", async () => {
    const index = new DynamoRenewalIndex(table, certificateFromItem);
    expect(await index.reschedule(3, "serial-3", dueIn(120))).toBe(true);
    expect(await index.reschedule(5, "an-older-serial", dueIn(120))).toBe(false);
    expect(await index.reschedule(999, "serial-999", dueIn(120))).toBe(false);
    const ids = (await index.due(now)).map((c) => c.id);
    expect(ids).not.toContain(3);
    expect(ids).toContain(5);
    // A backoff files it under its retry time; renewal information under its next check.
    await index.reschedule(7, "serial-7", { ...dueIn(-5), renewal_retry_at: new Date(now.getTime() + 60_000).toISOString() });
    await index.reschedule(9, "serial-9", { ...dueIn(600), renewal_info_check_at: new Date(now.getTime() - 1).toISOString() });
    const later = (await index.due(now)).map((c) => c.id);
    expect(later).not.toContain(7);
    expect(later).toContain(9);
    expect((await index.due(new Date(now.getTime() + 60_000))).map((c) => c.id)).toContain(7);
  });
});

describe("expiry index", () => {
  const actor = { user: "test", ipAddress: null, via: "test" };
  const audit = (id: number) =>
    auditEntry(actor, now, { action: "certificate_created", resourceType: "certificate", resourceId: id, resourceName: `c${id}`, provider: null, zoneFilter: null });
  /** A certificate stored with `expires_on` `days` from now (null: pending, never issued). */
  const certificate = (days: number | null): Omit<Certificate, "id"> => ({
    provider: "letsencrypt",
    nice_name: `expires in ${days}`,
    domain_names: [`d${days}.example.test`],
    status: days === null ? "pending" : "active",
    expires_on: days === null ? null : new Date(now.getTime() + days * 86_400_000).toISOString(),
    created_on: now.toISOString(),
    modified_on: now.toISOString(),
    last_renewed_at: null,
    renewal_requested_at: null,
    meta: { dns_challenge: true },
    dns_provider: null,
    credentials: [],
  });

  it("reads the certificates expiring before a time (the expired too), no others, and forgets a deleted one", async () => {
    const own = await freshTable();
    const repository = new DynamoCertificateRepository(own);
    const id: Record<string, number> = {};
    for (const days of [-1, 3, 20, 80, null]) id[String(days)] = (await repository.create(certificate(days), audit)).id;
    const index = new DynamoExpiryIndex(own, certificateFromItem);
    const before = async (days: number) => (await index.expiringBefore(new Date(now.getTime() + days * 86_400_000))).map((c) => c.id).sort((a, b) => a - b);

    expect(await before(7)).toEqual([id["-1"], id["3"]]);
    expect(await before(30)).toEqual([id["-1"], id["3"], id["20"]]);
    expect(index.readCapacity).toBeGreaterThan(0);
    // Filing again what is filed changes nothing (the backfill after a renewal stored its own).
    await index.file(id["80"]!, new Date(now.getTime() + 86_400_000).toISOString());
    expect(await before(30)).toEqual([id["-1"], id["3"], id["20"]]);

    await repository.delete((await repository.get(id["3"]!))!, { ...audit(id["3"]!), action: "certificate_deleted" });
    expect(await before(30)).toEqual([id["-1"], id["20"]]);
  });
});

describe("failed authorizations per name and hour", () => {
  it("counts per name within the clock hour, and starts again in the next", async () => {
    const failures = new DynamoFailedAuthorizations(table);
    await failures.add(["a.example.test", "b.example.test"], now);
    await failures.add(["a.example.test", "a.example.test"], new Date(now.getTime() + 59 * 60_000));
    const counts = await failures.count(["a.example.test", "b.example.test", "c.example.test"], now);
    expect(Object.fromEntries(counts)).toEqual({ "a.example.test": 2, "b.example.test": 1 });
    expect((await failures.count(["a.example.test"], new Date(now.getTime() + 60 * 60_000))).size).toBe(0);
  });
});
