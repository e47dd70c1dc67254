import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_CLOUDFLARE_TOKEN, testApi, type TestApi } from "../support/api.js";

/**
 * Every change and its audit entry are written together (packages/api/README.md: each mutation
 * "writes its audit entry in the same transaction"): when the write does not happen, neither
 * exists; when it happens, both do, once; and no audit entry is ever written on its own.
 */
let api: TestApi;
/** Set to make the next TransactWriteItems fail before it is sent (DynamoDB out of reach). */
let failNextTransaction = false;
/** Writes that put an audit entry outside a transaction. */
const loneAuditWrites: string[] = [];

beforeAll(async () => {
  api = await testApi();
  api.table.client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? "";
      const input = args.input as { Item?: { pk?: unknown }; Key?: { pk?: unknown }; RequestItems?: unknown };
      const pk = String(input.Item?.pk ?? input.Key?.pk ?? "");
      if (name !== "TransactWriteItemsCommand" && (pk.startsWith("AUDIT") || JSON.stringify(input.RequestItems ?? "").includes('"AUDIT'))) {
        loneAuditWrites.push(name);
      }
      if (name === "TransactWriteItemsCommand" && failNextTransaction) {
        failNextTransaction = false;
        throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      }
      return next(args);
    },
    { step: "initialize", priority: "low", name: `auditAtomicity-${randomBytes(4).toString("hex")}` },
  );
});
afterAll(() => api?.stop());

async function entries(action: string): Promise<number> {
  const page = await api.send("GET", `/api/v1/audit-logs?action=${action}&limit=100`);
  return page.body.audit_logs.length;
}

const unique = () => randomBytes(3).toString("hex");

/** Each change: the request, the audit action it writes, and what a reader sees of its effect. */
const changes: Array<{ name: string; action: string; request: () => { method: string; path: string; body?: unknown }; state: () => Promise<unknown> }> = [
  {
    name: "a proxy host",
    action: "proxy_host_created",
    request: () => ({ method: "POST", path: "/api/nginx/proxy-hosts", body: { domain_names: [`${unique()}.example.com`], forward_host: "10.0.0.5", forward_port: 80 } }),
    state: async () => (await api.send("GET", "/api/nginx/proxy-hosts?limit=100")).body.length,
  },
  {
    name: "a DNS provider",
    action: "dns_provider_created",
    request: () => ({ method: "POST", path: "/api/nginx/dns-providers", body: { name: `CF ${unique()}`, acme_dns_provider: "cloudflare", meta: { CF_API_TOKEN: FAKE_CLOUDFLARE_TOKEN } } }),
    state: async () => (await api.send("GET", "/api/nginx/dns-providers?limit=100")).body.length,
  },
  {
    name: "an API token",
    action: "api_token_created",
    request: () => ({ method: "POST", path: "/api/v1/tokens", body: { name: `t-${unique()}`, permission: "read" } }),
    state: async () => (await api.send("GET", "/api/v1/tokens")).body.length,
  },
  {
    name: "the settings",
    action: "settings_updated",
    request: () => ({ method: "PUT", path: "/api/v1/settings", body: { renewal_window_days: 17 } }),
    state: async () => (await api.send("GET", "/api/v1/settings")).body.renewal_window_days,
  },
];

describe("audit entries are atomic with their change", () => {
  it.each(changes)("$name: a write that never happened leaves no entry; one that did leaves exactly one", async ({ action, request, state }) => {
    const before = { state: await state(), audited: await entries(action) };
    failNextTransaction = true;
    const { method, path, body } = request();
    const failed = await api.send(method, path, { body });
    expect(failed.status, JSON.stringify(failed.body)).toBe(503);
    expect({ state: await state(), audited: await entries(action) }).toEqual(before);

    const retried = await api.send(method, path, { body });
    expect(retried.status, JSON.stringify(retried.body)).toBeLessThan(300);
    expect(await state()).not.toEqual(before.state);
    expect(await entries(action)).toBe(before.audited + 1);
    expect(loneAuditWrites).toEqual([]);
  });
});
