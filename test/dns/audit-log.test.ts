import { beforeAll, describe, expect, it } from "vitest";
import { dnsTestApp, manualClock, type DnsTestApp, type JsonBody } from "../support/dns-app.js";

/** `GET /api/v1/audit-logs`: filters, pages, CSV and JSON export, permissions. */
let t: DnsTestApp;
const clock = manualClock(new Date("2026-01-02T10:00:00.000Z"));
let providerId: number;
let otherProviderId: number;
const credentialIds: number[] = [];

beforeAll(async () => {
  t = await dnsTestApp({ clock });
  const provider = await t.call("POST", "/api/v1/dns-providers", { name: "Cloudflare Production", acme_dns_provider: "cloudflare", meta: { CF_API_TOKEN: "audit-token" } });
  providerId = provider.body.id;
  clock.advance(60_000);
  await t.call("POST", `/api/v1/dns-providers/${providerId}/enable-multi-credential`);
  for (const [i, name] of ['Customer "A", Production', "=cmd|' /C calc'!A0", "Plain"].entries()) {
    clock.advance(24 * 60 * 60 * 1000); // one a day
    const created = await t.call(
      "POST",
      `/api/v1/dns-providers/${providerId}/credentials`,
      { name, description: "line one\nline two", zone_filter: `*.c${i}.example.com`, credentials: { api_token: `audit-token-${i}` } },
    );
    credentialIds.push(created.body.id);
  }
  clock.advance(60_000);
  await t.call("PATCH", `/api/v1/dns-providers/${providerId}/credentials/${credentialIds[0]}`, { zone_filter: "*.c0.example.com,*.c0.example.net" });
  clock.advance(60_000);
  const other = await t.call("POST", "/api/v1/dns-providers", { name: "DO", acme_dns_provider: "digitalocean", meta: { DO_AUTH_TOKEN: "do-audit-token" } });
  otherProviderId = other.body.id;
});

const list = async (query: string) => {
  const answer = await t.call("GET", `/api/v1/audit-logs${query}`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body as { audit_logs: JsonBody[]; next_cursor: string | null };
};

describe("audit log", () => {
  it("records every mutation once, newest first, with the document's fields and no secret", async () => {
    const page = await list("");
    expect(page.audit_logs.map((e) => e.action)).toEqual([
      "dns_provider_created",
      "credential_updated",
      "credential_created",
      "credential_created",
      "credential_created",
      "multi_credential_enabled",
      "dns_provider_created",
    ]);
    const created = page.audit_logs.find((e) => e.resource_id === credentialIds[2])!;
    expect(created).toEqual({
      timestamp: expect.stringMatching(/^2026-01-0\dT10:0\d:00\.000Z$/),
      action: "credential_created",
      resource_type: "dns_credential",
      resource_id: credentialIds[2],
      resource_name: "Plain",
      provider: "cloudflare",
      zone_filter: "*.c2.example.com",
      user: "bootstrap (token 1)",
      ip_address: null,
      details: {
        provider_id: providerId,
        description: "line one\nline two",
        enabled: true,
        secret_fields_set: ["api_token"],
        created_via: "api",
      },
    });
    const updated = page.audit_logs.find((e) => e.action === "credential_updated")!;
    expect(updated.details).toMatchObject({ changed_fields: ["zone_filter"], previous_zone_filter: "*.c0.example.com" });
    expect(JSON.stringify(page)).not.toMatch(/audit-token/);
  });

  it("filters by action, provider, user, resource and time", async () => {
    expect((await list("?action=credential_created")).audit_logs).toHaveLength(3);
    expect((await list("?provider=digitalocean")).audit_logs.map((e) => e.resource_id)).toEqual([otherProviderId]);
    expect((await list(`?provider_id=${providerId}&action=credential_created`)).audit_logs).toHaveLength(3);
    expect((await list("?user=bootstrap%20(token%201)")).audit_logs).toHaveLength(7);
    expect((await list("?user=someone-else")).audit_logs).toHaveLength(0);
    const resource = await list(`?resource_type=dns_credential&resource_id=${credentialIds[0]}`);
    expect(resource.audit_logs.map((e) => e.action)).toEqual(["credential_updated", "credential_created"]);
    const window = await list("?from=2026-01-03T00:00:00Z&to=2026-01-04T23:59:59Z");
    expect(window.audit_logs.map((e) => e.resource_name)).toEqual(["=cmd|' /C calc'!A0", 'Customer "A", Production']);
    expect((await list("?resource_type=dns_provider&from=2026-01-02T00:00:00Z&to=2026-01-02T23:59:59Z")).audit_logs.map((e) => e.action)).toEqual([
      "multi_credential_enabled",
      "dns_provider_created",
    ]);
  });

  it("pages with a cursor", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(`?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.audit_logs.length).toBeLessThanOrEqual(2);
      seen.push(...page.audit_logs.map((e) => `${e.action}/${e.resource_id}`));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual((await list("")).audit_logs.map((e) => `${e.action}/${e.resource_id}`));
    expect(pages).toBeGreaterThanOrEqual(4);
  });

  it("refuses a cursor that was altered, made by hand or came from another listing (issue 8 §6)", async () => {
    const own = (await list("?limit=1")).next_cursor!;
    const [payload, signature] = own.split(".") as [string, string];
    const position = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { partition: string; inner?: string };
    expect(position.partition).toBe("AUDIT#2026-01");
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    // Another month of the range, still signed with the genuine signature; the same without one.
    const otherMonth = encode({ ...position, partition: "AUDIT#2025-12" });
    const fromAction = (await list("?limit=1&action=credential_created")).next_cursor!;
    const fromCredentials = (await t.call("GET", `/api/v1/dns-providers/${providerId}/credentials?limit=1`)).body.next_cursor as string;
    expect(fromAction).not.toBeNull();
    expect(fromCredentials).toEqual(expect.any(String));
    for (const cursor of [`${otherMonth}.${signature}`, otherMonth, encode(position), fromAction, fromCredentials]) {
      const answer = await t.call("GET", `/api/v1/audit-logs?limit=1&cursor=${encodeURIComponent(cursor)}`);
      expect(answer.status, cursor).toBe(400);
      expect(answer.body, cursor).toMatchObject({ error: "Invalid cursor", details: expect.stringMatching(/^cursor: .*start again without it/) });
      const exported = await t.call("GET", `/api/v1/audit-logs?format=json&cursor=${encodeURIComponent(cursor)}`);
      expect(exported.status, cursor).toBe(400);
    }
    // The genuine one still carries on, and the action listing's cursor in its own listing.
    expect((await list(`?limit=1&cursor=${encodeURIComponent(own)}`)).audit_logs).toHaveLength(1);
    expect((await list(`?limit=1&action=credential_created&cursor=${encodeURIComponent(fromAction)}`)).audit_logs).toHaveLength(1);
  });

  it("exports CSV with a header row and proper escaping, and JSON", async () => {
    const csv = await t.call("GET", "/api/v1/audit-logs?format=csv&action=credential_created");
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("content-disposition")).toBe('attachment; filename="audit-logs.csv"');
    const lines = csv.text.split("\r\n");
    expect(lines[0]).toBe("timestamp,action,resource_type,resource_id,resource_name,provider,zone_filter,user,ip_address,details");
    expect(csv.text).toContain(`,"Customer ""A"", Production",`);
    expect(csv.text).toContain(`,'=cmd|' /C calc'!A0,`);
    expect(csv.text).toContain('"{""provider_id"":');
    expect(csv.text).toContain("line one\\nline two");
    expect(csv.text.endsWith("\r\n")).toBe(true);

    const json = await t.call("GET", "/api/v1/audit-logs?format=json&action=credential_created");
    expect(json.headers.get("content-disposition")).toBe('attachment; filename="audit-logs.json"');
    expect(json.body).toHaveLength(3);
    expect(json.body[0]).toMatchObject({ action: "credential_created", resource_type: "dns_credential" });
  });

  it("rejects malformed filters with a 400 and needs audit read access", async () => {
    for (const from of ["yesterday", "2026", "Jan 4 2026", "2026-01-04"]) {
      expect((await t.call("GET", `/api/v1/audit-logs?from=${encodeURIComponent(from)}`)).body.message, from).toBe(
        "from: must be an ISO 8601 time such as 2026-01-04T15:30:00Z",
      );
    }
    expect((await t.call("GET", "/api/v1/audit-logs?from=2026-01-04T15:30:00%2B01:00")).status).toBe(200);
    expect((await t.call("GET", "/api/v1/audit-logs?limti=5")).body).toMatchObject({
      error: "Invalid query parameter",
      message: "Unknown query parameter 'limti'",
    });
    expect((await t.call("GET", "/api/v1/audit-logs?provider_id=0x1")).status).toBe(400);
    expect((await t.call("GET", "/api/v1/audit-logs?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z")).body.message).toBe("from: must not be later than to");
    expect((await t.call("GET", "/api/v1/audit-logs?resource_id=4")).body.message).toBe("resource_id: needs resource_type as well");
    expect((await t.call("GET", "/api/v1/audit-logs?format=xml")).status).toBe(400);
    expect((await t.call("GET", "/api/v1/audit-logs?cursor=nonsense")).body.error).toBe("Invalid cursor");

    const token = async (scopes: Record<string, string>) =>
      (await t.call("POST", "/api/v1/tokens", { name: "scoped", permission: "scoped", scopes })).body.token as string;
    const dnsOnly = await token({ dns_providers: "write" });
    const auditReader = await token({ audit: "read" });
    const as = (value: string) => t.app.request("/api/v1/audit-logs", { headers: { Authorization: `Bearer ${value}` } });
    expect((await as(dnsOnly)).status).toBe(403);
    expect((await as(auditReader)).status).toBe(200);
  });
});
