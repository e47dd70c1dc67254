import { afterAll, describe, expect, it } from "vitest";
import { DynamoCertificateRepository } from "@charon/aws";
import { auditEntry, type Certificate } from "@charon/core";
import { testActor, testApi } from "../../../test/support/api.js";
import { countRequests } from "../../../test/support/dns-app.js";

/** `GET /api/v1/certificates/summary` (issue 10 §5) over certificates stored as orders leave them. */
const api = await testApi({ standardDns: false });
afterAll(() => api.stop());
const repository = new DynamoCertificateRepository(api.table);
const DAY_MS = 24 * 60 * 60 * 1000;
const now = Date.now();
const at = (days: number) => new Date(now + days * DAY_MS).toISOString();

async function stored(name: string, fields: Partial<Certificate>): Promise<number> {
  const certificate: Omit<Certificate, "id"> = {
    provider: "letsencrypt",
    nice_name: name,
    domain_names: [name],
    status: "active",
    expires_on: null,
    created_on: at(-60),
    modified_on: at(-60),
    last_renewed_at: null,
    renewal_requested_at: null,
    meta: { dns_challenge: true },
    dns_provider: null,
    credentials: [],
    error: null,
    ...fields,
  };
  const saved = await repository.create(certificate, (id) =>
    auditEntry(testActor, new Date(), { action: "certificate_created", resourceType: "certificate", resourceId: id, resourceName: name, provider: null, zoneFilter: null }),
  );
  return saved.id;
}

describe("the certificate summary", () => {
  it("counts by status, lists the next renewals and the failing ones with why, and what expires within 7/14/30 days", async () => {
    const empty = await api.send("GET", "/api/v1/certificates/summary");
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ total: 0, truncated: false, next_renewals: [], failing: [], expiring: { within_7_days: 0, within_14_days: 0, within_30_days: 0 } });

    // 90-day certificates issued 87, 80 and 70 days ago (expiring in 3, 10, 20 days), one fresh.
    const in3 = await stored("in3.example.com", { issued_at: at(-87), expires_on: at(3) });
    const in10 = await stored("in10.example.com", { issued_at: at(-80), expires_on: at(10) });
    const in20 = await stored("in20.example.com", {
      issued_at: at(-70),
      expires_on: at(20),
      // Its renewal failed: the old certificate stays in service, the error says why.
      error: "PowerDNS refused the API key",
      modified_on: at(-1),
    });
    const fresh = await stored("fresh.example.com", {
      issued_at: at(-5),
      expires_on: at(85),
      renewal_due_at: at(40),
      renewal_due_source: "ari",
      renewal_explanation_url: null,
      renewal_info_check_at: at(1),
      renewal_retry_at: null,
      renewal_failures: [],
    });
    const failed = await stored("failed.example.com", { status: "failed", error: "DNS propagation timeout", modified_on: at(-2) });
    await stored("pending.example.com", { status: "pending" });

    const counter = countRequests(api.table);
    const summary = await api.send("GET", "/api/v1/certificates/summary");
    expect(summary.status).toBe(200);
    // The listing of every certificate: one query for six (500 a query).
    expect(counter.counts.get("QueryCommand")).toBe(1);
    expect(summary.body).toMatchObject({
      total: 6,
      truncated: false,
      by_status: { pending: 1, active: 4, failed: 1, expired: 0 },
      failing_total: 2,
      expiring: { within_7_days: 1, within_14_days: 2, within_30_days: 3 },
    });
    // Lifetime backstop (dns-01.md §4: a third of the lifetime left) for those without a schedule; the CA's window for the other.
    expect(summary.body.next_renewals.map((r: { id: number; renewal_due_source: string }) => [r.id, r.renewal_due_source])).toEqual([
      [in3, "lifetime"],
      [in10, "lifetime"],
      [in20, "lifetime"],
      [fresh, "ari"],
    ]);
    expect(summary.body.next_renewals[3]).toMatchObject({ renewal_at: at(40), expires_on: at(85) });
    expect(summary.body.failing).toEqual([
      { id: in20, nice_name: "in20.example.com", domain_names: ["in20.example.com"], status: "active", error: "PowerDNS refused the API key", since: at(-1) },
      { id: failed, nice_name: "failed.example.com", domain_names: ["failed.example.com"], status: "failed", error: "DNS propagation timeout", since: at(-2) },
    ]);
  });

  it("needs certificates read", async () => {
    const other = await api.issue({ permission: "scoped", scopes: { notifications: "write" } });
    expect((await api.send("GET", "/api/v1/certificates/summary", { token: other })).status).toBe(403);
    const reader = await api.issue({ permission: "scoped", scopes: { certificates: "read" } });
    expect((await api.send("GET", "/api/v1/certificates/summary", { token: reader })).status).toBe(200);
  });
});
