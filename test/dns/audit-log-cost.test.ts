import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { AUDIT_READS_PER_PAGE, auditEntryPut } from "@charon/aws";
import { auditEntry } from "@charon/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dnsTestApp, manualClock, type DnsTestApp, type JsonBody } from "../support/dns-app.js";

/**
 * Issue 8 §4: one audit-log request costs a bounded number of reads whatever its range and
 * filters, the cursor carries on where a short page stopped, and a client that disconnects
 * stops the reading.
 */
let t: DnsTestApp;
const clock = manualClock(new Date("2016-03-15T12:00:00.000Z"));
/** QueryCommands the audit log made since the last reset (the token lookup is a GetItem). */
let queries = 0;
/** Set by a test to hold the next audit query until it lets go. */
let onAuditQuery: (() => Promise<void>) | undefined;

const HUGE = "from=0001-01-01T00:00:00Z&to=9999-12-31T00:00:00Z";

beforeAll(async () => {
  t = await dnsTestApp({ clock });
  t.table.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "QueryCommand") {
        const { ExpressionAttributeValues } = args.input as { ExpressionAttributeValues?: Record<string, unknown> };
        if (String(ExpressionAttributeValues?.[":pk"]).startsWith("AUDIT")) {
          queries++;
          const hook = onAuditQuery;
          onAuditQuery = undefined;
          await hook?.();
        }
      }
      return next(args);
    },
    { step: "initialize", name: "auditQueryCounter" },
  );
  // Ten years of history: entries in March 2016, then one in June 2026.
  for (const name of ["Old A", "Old B", "Old C"]) {
    clock.advance(24 * 60 * 60 * 1000);
    expect((await t.call("POST", "/api/v1/dns-providers", { name, acme_dns_provider: "cloudflare", meta: { CF_API_TOKEN: "cost-token" } })).status).toBe(201);
  }
  clock.advance(Date.parse("2026-06-10T08:00:00.000Z") - clock.now().getTime());
  expect((await t.call("POST", "/api/v1/dns-providers", { name: "New", acme_dns_provider: "cloudflare", meta: { CF_API_TOKEN: "cost-token" } })).status).toBe(201);
});

async function page(query: string): Promise<{ audit_logs: JsonBody[]; next_cursor: string | null; reads: number }> {
  queries = 0;
  const answer = await t.call("GET", `/api/v1/audit-logs?${query}`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return { ...answer.body, reads: queries };
}

/** Every entry of a listing, page by page, checking each page's cost. */
async function all(query: string): Promise<{ names: string[]; pages: number; emptyPages: number }> {
  const names: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  let emptyPages = 0;
  do {
    const next = await page(`${query}${cursor ? `&cursor=${cursor}` : ""}`);
    expect(next.reads).toBeLessThanOrEqual(AUDIT_READS_PER_PAGE);
    names.push(...next.audit_logs.map((e) => `${e.action} ${e.resource_name}`));
    if (next.audit_logs.length === 0) emptyPages++;
    cursor = next.next_cursor;
    pages++;
  } while (cursor && pages < 100);
  return { names, pages, emptyPages };
}

describe("audit log cost", () => {
  it("answers a range of eight millennia with a bounded number of reads and a cursor that carries on", async () => {
    const first = await page(`${HUGE}&user=nobody`);
    expect(first.audit_logs).toEqual([]);
    expect(first.reads).toBeGreaterThan(0);
    expect(first.reads).toBeLessThanOrEqual(AUDIT_READS_PER_PAGE);
    expect(first.next_cursor).not.toBeNull();
    // The cursor carries on from where the empty page stopped, at the same bounded cost.
    const second = await page(`${HUGE}&user=nobody&cursor=${first.next_cursor}`);
    expect(second.reads).toBeLessThanOrEqual(AUDIT_READS_PER_PAGE);
    expect(second.next_cursor).not.toBeNull();
    expect(second.next_cursor).not.toBe(first.next_cursor);
  });

  it("finds entries ten years back by following the cursor past short pages", async () => {
    const expected = ["dns_provider_created New", "dns_provider_created Old C", "dns_provider_created Old B", "dns_provider_created Old A"];
    const huge = await page(`${HUGE}&user=bootstrap%20(token%201)`);
    // The first page stops after its read budget, five years short of the old entries.
    expect(huge.audit_logs.map((e) => e.resource_name)).toEqual(["New"]);
    expect(huge.next_cursor).not.toBeNull();
    const { names } = await allUntil(`${HUGE}&user=bootstrap%20(token%201)`, expected.length);
    expect(names.filter((name) => name.startsWith("dns_provider_created"))).toEqual(expected);
    // The same entries as a narrow range that needs no continuation.
    const narrow = await all("from=2016-01-01T00:00:00Z&to=2026-12-31T00:00:00Z&action=dns_provider_created");
    expect(narrow.names).toEqual(expected);
  });

  it("bounds a rare filter inside one dense partition (an action's index) too", async () => {
    // 150 entries of one action, none by the user asked for.
    const items = Array.from({ length: 150 }, (_, i) =>
      auditEntryPut(t.table.name, auditEntry({ user: "someone", ipAddress: null, via: "api" }, new Date(Date.parse("2026-06-01T00:00:00Z") + i * 1000), {
        action: "setting_updated",
        resourceType: "setting",
        resourceId: "default",
        resourceName: null,
        provider: null,
        zoneFilter: null,
      })),
    );
    for (let i = 0; i < items.length; i += 25) await t.table.transact(items.slice(i, i + 25));
    const first = await page("action=setting_updated&user=nobody&limit=1");
    expect(first.audit_logs).toEqual([]);
    expect(first.reads).toBeLessThanOrEqual(AUDIT_READS_PER_PAGE);
    expect(first.next_cursor).not.toBeNull();
    const { names, emptyPages } = await all("action=setting_updated&user=nobody&limit=1");
    expect(names).toEqual([]);
    expect(emptyPages).toBeGreaterThan(1);
    // With a filter that matches, the same pages fill up.
    expect((await page("action=setting_updated&user=someone&limit=5")).audit_logs).toHaveLength(5);
  });

  it("bounds an export over a huge range and hands the rest to X-Next-Cursor", async () => {
    queries = 0;
    const exported = await t.call("GET", `/api/v1/audit-logs?${HUGE}&user=nobody&format=json`);
    expect(exported.status).toBe(200);
    expect(exported.body).toEqual([]);
    expect(queries).toBeLessThanOrEqual(10 * AUDIT_READS_PER_PAGE);
    // A signed position, in the form the document's cursor pattern states.
    expect(exported.headers.get("x-next-cursor")).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    const csv = await t.call("GET", `/api/v1/audit-logs?${HUGE}&user=nobody&format=csv&cursor=${exported.headers.get("x-next-cursor")}`);
    expect(csv.status).toBe(200);
    expect(csv.text).toBe("timestamp,action,resource_type,resource_id,resource_name,provider,zone_filter,user,ip_address,details\r\n");
    expect(csv.headers.get("x-next-cursor")).not.toBeNull();
  });

  it("reads a range that begins in the future as nothing, without a read", async () => {
    const future = await page("from=9000-01-01T00:00:00Z&to=9999-12-31T00:00:00Z");
    expect(future).toEqual({ audit_logs: [], next_cursor: null, reads: 0 });
  });
});

describe("a client that disconnects", () => {
  let server: ReturnType<typeof serve>;
  let port: number;
  /** The request the server saw last: its abort and the promise of its answer. */
  let seen: { aborted: Promise<void>; answered: Promise<Response> } | undefined;

  beforeAll(async () => {
    server = serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (request: Request) => {
        const aborted = new Promise<void>((resolve) => request.signal.addEventListener("abort", () => resolve()));
        const answered = Promise.resolve(t.app.fetch(request));
        seen = { aborted, answered };
        return answered;
      },
    });
    await new Promise<void>((resolve) => server.once("listening", () => resolve()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = (path: string) =>
    httpRequest({ host: "127.0.0.1", port, path, headers: { Authorization: `Bearer ${t.token}` } });

  it("stops the reads when the client goes away", async () => {
    // Held at its first read until the client has gone and the server has noticed.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const reached = new Promise<void>((resolve) => {
      onAuditQuery = () => {
        resolve();
        return held;
      };
    });
    queries = 0;
    const client = get(`/api/v1/audit-logs?${HUGE}&user=nobody`);
    client.on("error", () => {});
    client.end();
    await reached;
    client.destroy();
    await seen!.aborted;
    release();
    expect((await seen!.answered).status).toBe(499);
    expect(queries).toBe(1);
    expect(t.logLines.some((line) => line.includes("unhandled error"))).toBe(false);
  });

  it("reads on while the client waits (the same request, not disconnected)", async () => {
    queries = 0;
    const status = await new Promise<number>((resolve, reject) => {
      const client = get(`/api/v1/audit-logs?${HUGE}&user=nobody`);
      client.on("response", (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      client.on("error", reject);
      client.end();
    });
    expect(status).toBe(200);
    expect(queries).toBeGreaterThan(1);
  });
});

/** Pages until `count` entries were found (the huge range goes on far past them). */
async function allUntil(query: string, count: number): Promise<{ names: string[] }> {
  const names: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const next = await page(`${query}${cursor ? `&cursor=${cursor}` : ""}`);
    expect(next.reads).toBeLessThanOrEqual(AUDIT_READS_PER_PAGE);
    names.push(...next.audit_logs.map((e) => `${e.action} ${e.resource_name}`));
    cursor = next.next_cursor;
    pages++;
  } while (cursor && names.length < count && pages < 10);
  return { names };
}
