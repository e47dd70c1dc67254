import { BatchWriteCommand } from "@aws-sdk/lib-dynamodb";
import { auditEntryPut } from "@charon/aws";
import { auditEntry } from "@charon/core";
import { beforeAll, describe, expect, it } from "vitest";
import { dnsTestApp, manualClock, type DnsTestApp, type JsonBody } from "../support/dns-app.js";

/**
 * What the audit log documents about its reach (packages/api/README.md, the route's description):
 * an export holds at most 10 000 entries and `X-Next-Cursor` continues it; without `from` the
 * last 90 days are read. Entries are written straight to the table (10 051 API calls would only
 * slow the test down) and read back through the public API, spread over three months.
 */
let t: DnsTestApp;
const clock = manualClock(new Date("2026-06-30T12:00:00.000Z"));
const DAY = 24 * 60 * 60 * 1000;
/** Inside the default window: 10 050 entries from April to June, one 89 days back. */
const RECENT = 10_050;

function entry(id: number, at: Date) {
  return auditEntryPut(
    t.table.name,
    auditEntry({ user: "exporter", ipAddress: null, via: "api" }, at, {
      action: "setting_updated",
      resourceType: "setting",
      resourceId: id,
      resourceName: null,
      provider: null,
      zoneFilter: null,
    }),
  ).Put!.Item!;
}

async function writeAll(items: Array<Record<string, unknown>>) {
  const batches = Array.from({ length: Math.ceil(items.length / 25) }, (_, i) => items.slice(i * 25, i * 25 + 25));
  // A few batches at a time: DynamoDB Local takes them in parallel.
  for (let i = 0; i < batches.length; i += 8) {
    await Promise.all(
      batches.slice(i, i + 8).map(async (batch) => {
        let requests = batch.map((Item) => ({ PutRequest: { Item } }));
        while (requests.length > 0) {
          const answer = await t.table.client.send(new BatchWriteCommand({ RequestItems: { [t.table.name]: requests } }));
          requests = (answer.UnprocessedItems?.[t.table.name] ?? []) as typeof requests;
        }
      }),
    );
  }
}

beforeAll(async () => {
  t = await dnsTestApp({ clock });
  const now = clock.now().getTime();
  const start = Date.parse("2026-04-15T00:00:00.000Z");
  const step = (now - DAY - start) / RECENT;
  await writeAll([
    ...Array.from({ length: RECENT }, (_, i) => entry(i, new Date(start + Math.floor(i * step)))),
    entry(RECENT, new Date(now - 89 * DAY)),
    entry(RECENT + 1, new Date(now - 100 * DAY)),
  ]);
}, 120_000);

async function exported(query: string): Promise<{ ids: number[]; next: string | null; body: JsonBody; text: string }> {
  const answer = await t.call("GET", `/api/v1/audit-logs?${query}`);
  expect(answer.status, answer.text.slice(0, 300)).toBe(200);
  const ids = Array.isArray(answer.body) ? (answer.body as Array<{ resource_id: number }>).map((e) => e.resource_id) : [];
  return { ids, next: answer.headers.get("x-next-cursor"), body: answer.body, text: answer.text };
}

describe("audit log export", () => {
  it("holds at most 10 000 entries, newest first, and X-Next-Cursor continues it to the end", async () => {
    const first = await exported("format=json");
    expect(first.ids).toHaveLength(10_000);
    expect(first.ids[0]).toBe(RECENT - 1);
    expect(first.next).not.toBeNull();
    const rest = await exported(`format=json&cursor=${encodeURIComponent(first.next!)}`);
    expect(rest.next).toBeNull();
    const all = [...first.ids, ...rest.ids];
    // Every entry of the window once: the 10 050 recent ones and the one 89 days back.
    expect(all).toHaveLength(RECENT + 1);
    expect(new Set(all).size).toBe(RECENT + 1);
    expect(all.at(-1)).toBe(RECENT);
  });

  it("as CSV too: a header and 10 000 rows, then the rest", async () => {
    const csv = await exported("format=csv");
    const rows = csv.text.split("\r\n").filter((line) => line !== "");
    expect(rows[0]).toBe("timestamp,action,resource_type,resource_id,resource_name,provider,zone_filter,user,ip_address,details");
    expect(rows).toHaveLength(1 + 10_000);
    expect(csv.next).not.toBeNull();
    const rest = await exported(`format=csv&cursor=${encodeURIComponent(csv.next!)}`);
    expect(rest.text.split("\r\n").filter((line) => line !== "")).toHaveLength(1 + RECENT + 1 - 10_000);
  });
});

describe("audit log window", () => {
  const page = async (query: string) => {
    const answer = await t.call("GET", `/api/v1/audit-logs?${query}`);
    expect(answer.status, answer.text.slice(0, 300)).toBe(200);
    return (answer.body.audit_logs as Array<{ resource_id: number }>).map((e) => e.resource_id);
  };
  const daysBack = (days: number) => encodeURIComponent(new Date(clock.now().getTime() - days * DAY).toISOString());

  it("reads the last 90 days when no `from` is given, and older entries when asked", async () => {
    expect(await page(`resource_type=setting&resource_id=${RECENT}`)).toEqual([RECENT]); // 89 days back
    expect(await page(`resource_type=setting&resource_id=${RECENT + 1}`)).toEqual([]); // 100 days back
    expect(await page(`resource_type=setting&resource_id=${RECENT + 1}&from=${daysBack(120)}`)).toEqual([RECENT + 1]);
  });
});
