import { beforeAll, describe, expect, it } from "vitest";
import { freshTable } from "../harness/dynamodb.js";
import { countRequests, dnsTestApp, type DnsTestApp } from "../support/dns-app.js";
import { certificateFor, providerWith } from "./helpers.js";

/** Reads of one resource or one list page cost at most 2 DynamoDB requests, `/match` too. */
let t: DnsTestApp;
let counter: ReturnType<typeof countRequests>;
let providerId: number;
let ids: Record<string, number>;

beforeAll(async () => {
  const table = await freshTable();
  counter = countRequests(table);
  t = await dnsTestApp({ table });
  const filters = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`Customer ${i}`, `*.customer-${i}.com,customer-${i}.net`]));
  ({ providerId, ids } = await providerWith(t, { ...filters, Fallback: "" }));
  await certificateFor(t, providerId, ["shop.customer-1.com", "api.customer-1.com"]);
  // The key that signs page cursors is read once per process (decision 0014); the counts below
  // are what every later request costs.
  const warm = await t.call("GET", `/api/v1/dns-providers/${providerId}/credentials?limit=1`);
  expect(warm.status).toBe(200);
});

async function readsOf(method: string, path: string): Promise<number> {
  counter.reset();
  const answer = await t.call(method, path);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return counter.reads();
}

describe("DynamoDB requests per read", () => {
  it.each([
    ["GET one provider", () => `/api/v1/dns-providers/${providerId}`],
    ["list providers", () => "/api/nginx/dns-providers"],
    ["GET one credential (with its domains)", () => `/api/v1/dns-providers/${providerId}/credentials/${ids["Customer 1"]}`],
    ["a page of credentials", () => `/api/v1/dns-providers/${providerId}/credentials?limit=25`],
    ["the last page of credentials", () => `/api/v1/dns-providers/${providerId}/credentials?limit=500`],
    ["/match, wildcard", () => `/api/v1/dns-providers/${providerId}/match?domain=a.b.shop.customer-37.com`],
    ["/match, catch-all", () => `/api/v1/dns-providers/${providerId}/match?domain=nobody.example.org`],
  ])("%s: at most 2", async (_label, path) => {
    const reads = await readsOf("GET", path());
    expect(reads).toBeGreaterThan(0);
    expect(reads).toBeLessThanOrEqual(2);
  });

  it("/match in single-credential mode: one batch read, the primary holding the catch-all", async () => {
    const single = await t.call("POST", "/api/v1/dns-providers", { name: "Single", acme_dns_provider: "cloudflare", meta: { CF_API_TOKEN: "single-token" } });
    expect(await readsOf("GET", `/api/v1/dns-providers/${single.body.id}/match?domain=www.example.com`)).toBe(1);
    // The bearer token's own lookup is counted apart.
    expect(counter.counts.get("authentication")).toBe(1);
  });

  it("never scans", async () => {
    counter.reset();
    await t.call("GET", `/api/v1/dns-providers/${providerId}/statistics`);
    await t.call("GET", "/api/v1/audit-logs?limit=5");
    expect(counter.counts.get("ScanCommand") ?? 0).toBe(0);
  });
});
