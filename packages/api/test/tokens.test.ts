import { describe, expect, it } from "vitest";
import { LAST_USED_RESOLUTION_MS, hashToken, type Clock } from "@charon/core";
import { testApi } from "../../../test/support/api.js";

function movableClock(start = Date.parse("2026-03-01T10:00:00Z")) {
  let now = start;
  const clock: Clock = { now: () => new Date(now) };
  return { clock, advance: (ms: number) => (now += ms) };
}

async function auditActions(api: Awaited<ReturnType<typeof testApi>>, resourceType: string, id: number) {
  const items = await api.table.queryAll({ partition: `AUDITRES#${resourceType}#${id}`, index: "gsi1" });
  return items.map((i) => i["action"]);
}

describe("API tokens", () => {
  it("returns the value once, stores only its hash, and lists metadata without values", async () => {
    const api = await testApi();
    const created = await api.send("POST", "/api/v1/tokens", {
      body: { name: "ci", permission: "scoped", scopes: { proxy_hosts: "write", certificates: "read" }, expires_at: null },
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^chrn_[A-Za-z0-9_-]{43}$/);
    expect(created.body).toMatchObject({ name: "ci", permission: "scoped", scopes: { proxy_hosts: "write", certificates: "read" } });

    const stored = await api.table.get({ pk: `TOKEN#${hashToken(created.body.token)}`, sk: "TOKEN" });
    expect(JSON.stringify(stored)).not.toContain(created.body.token);

    const listed = await api.send("GET", "/api/v1/tokens");
    const entry = listed.body.find((t: { id: number }) => t.id === created.body.id);
    expect(Object.keys(entry).sort()).toEqual(
      ["created_at", "created_by", "expires_at", "id", "last_used_at", "name", "permission", "scopes"].sort(),
    );
    expect(JSON.stringify(listed.body)).not.toContain("chrn_");
    expect(await auditActions(api, "api_token", created.body.id)).toEqual(["api_token_created"]);
  });

  it("grants what the permission says: read → every GET, scoped → its types, write implies read", async () => {
    const api = await testApi();
    const scoped = (await api.send("POST", "/api/v1/tokens", {
      body: { name: "preview", permission: "scoped", scopes: { proxy_hosts: "write" } },
    })).body.token;
    expect((await api.send("GET", "/api/nginx/proxy-hosts", { token: scoped })).status).toBe(200);
    expect((await api.send("GET", "/api/nginx/certificates", { token: scoped })).status).toBe(403);
    const readOnly = (await api.send("POST", "/api/v1/tokens", { body: { name: "dash", permission: "read" } })).body.token;
    expect((await api.send("GET", "/api/v1/settings", { token: readOnly })).status).toBe(200);
    const denied = await api.send("PUT", "/api/v1/settings", { token: readOnly, body: { renewal_window_days: 20 } });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ error: "Forbidden", message: "Insufficient permissions to manage settings" });
    // multi-credential-dns.md's own wording on its credential routes
    const credentials = await api.send("POST", "/api/v1/dns-providers/1/credentials", {
      token: readOnly,
      body: { name: "x", zone_filter: "", credentials: { api_token: "y" } },
    });
    expect(credentials.status).toBe(403);
    expect(credentials.body).toMatchObject({ error: "Forbidden", message: "Insufficient permissions to manage credentials" });
  });

  it("says the header is missing when a request sends no token, and that the token is wrong when it is", async () => {
    const api = await testApi();
    const missing = "Missing API token: send the header 'Authorization: Bearer <token>'";
    const none = await api.send("GET", "/api/nginx/proxy-hosts", { token: null });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ error: "Unauthorized", message: missing });
    // A header in another form (the token alone, or Basic) carries no bearer token either.
    for (const authorization of ["chrn_abc", "Basic dXNlcjpwYXNz", "Bearer"]) {
      const malformed = await api.send("GET", "/api/nginx/proxy-hosts", { token: null, headers: { Authorization: authorization } });
      expect(malformed.status).toBe(401);
      expect(malformed.body.message).toBe(missing);
    }
    const wrong = await api.send("GET", "/api/nginx/proxy-hosts", { token: "chrn_wrong" });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ error: "Unauthorized", message: "Invalid or expired API token" });
  });

  it("revokes at once", async () => {
    const api = await testApi();
    const created = (await api.send("POST", "/api/v1/tokens", { body: { name: "gone", permission: "read" } })).body;
    expect((await api.send("GET", "/api/nginx/proxy-hosts", { token: created.token })).status).toBe(200);
    expect((await api.send("DELETE", `/api/v1/tokens/${created.id}`)).body).toEqual({ id: created.id, deleted: true });
    const after = await api.send("GET", "/api/nginx/proxy-hosts", { token: created.token });
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ error: "Unauthorized", message: "Invalid or expired API token" });
    expect((await api.send("DELETE", `/api/v1/tokens/${created.id}`)).status).toBe(404);
    expect(await auditActions(api, "api_token", created.id)).toEqual(["api_token_created", "api_token_revoked"]);
  });

  it("never mints or revokes more rights than the caller has", async () => {
    const api = await testApi();
    const tokensWriter = api.tokens.write.tokens;
    const escalation = await api.send("POST", "/api/v1/tokens", { token: tokensWriter, body: { name: "x", permission: "full" } });
    expect(escalation.status).toBe(403);
    const readAll = await api.send("POST", "/api/v1/tokens", { token: tokensWriter, body: { name: "x", permission: "read" } });
    expect(readAll.status).toBe(403);
    const within = await api.send("POST", "/api/v1/tokens", {
      token: tokensWriter,
      body: { name: "x", permission: "scoped", scopes: { tokens: "read" } },
    });
    expect(within.status).toBe(201);
    const fullId = (await api.send("GET", "/api/v1/tokens")).body.find((t: { permission: string }) => t.permission === "full").id;
    expect((await api.send("DELETE", `/api/v1/tokens/${fullId}`, { token: tokensWriter })).status).toBe(403);
  });

  it.each([
    [{ name: "x", permission: "scoped", scopes: {} }, "scopes: a scoped token needs at least one resource type"],
    [{ name: "x", permission: "read", scopes: { tokens: "read" } }, "scopes: only scoped tokens have scopes (permission is 'read')"],
    [{ name: "x", permission: "scoped", scopes: { widgets: "read" } }, "Unknown field 'scopes.widgets'"],
    [{ name: "x", permission: "admin" }, "permission: Invalid option"],
    [{ name: "x", scopes: { tokens: "read" } }, "permission: is required"],
    [{ name: "x", permission: "full", scopes: { settings: "write" } }, "scopes: only scoped tokens have scopes (permission is 'full')"],
    [{ name: "", permission: "read" }, "name: Too small"],
    [{ name: "x", permission: "read", expires_at: "2001-01-01T00:00:00Z" }, "expires_at: must be in the future"],
    [{ name: "x", permission: "read", expires_at: "tomorrow" }, "expires_at: Invalid ISO datetime"],
    [{ name: "x", permission: "read", owner: "me" }, "Unknown field 'owner'"],
  ])("rejects %j with a 400 naming the field", async (body, message) => {
    const api = await testApi();
    const response = await api.send("POST", "/api/v1/tokens", { body });
    expect(response.status).toBe(400);
    expect(response.body.message).toContain(message);
  });

  it("takes each permission's shape of the document's oneOf: read and full with scopes absent or empty, scoped with one or more", async () => {
    const api = await testApi();
    for (const body of [
      { name: "r", permission: "read" },
      { name: "f", permission: "full", scopes: {} },
      { name: "s", permission: "scoped", scopes: { audit: "read" } },
    ]) {
      const response = await api.send("POST", "/api/v1/tokens", { body });
      expect(response.status, JSON.stringify(body)).toBe(201);
      expect(response.body).toMatchObject({ permission: body.permission, scopes: body.scopes ?? {} });
    }
  });

  it("expires tokens at their expires_at", async () => {
    const time = movableClock();
    const api = await testApi({ clock: time.clock });
    const created = (await api.send("POST", "/api/v1/tokens", {
      body: { name: "short", permission: "read", expires_at: "2026-03-01T11:00:00Z" },
    })).body;
    expect(created.expires_at).toBe("2026-03-01T11:00:00.000Z");
    expect((await api.send("GET", "/api/nginx/proxy-hosts", { token: created.token })).status).toBe(200);
    time.advance(60 * 60 * 1000);
    expect((await api.send("GET", "/api/nginx/proxy-hosts", { token: created.token })).status).toBe(401);
  });

  it("records last_used_at at most once per resolution window", async () => {
    const time = movableClock();
    const api = await testApi({ clock: time.clock });
    const created = (await api.send("POST", "/api/v1/tokens", { body: { name: "used", permission: "read" } })).body;
    const lastUsed = async () =>
      (await api.send("GET", "/api/v1/tokens")).body.find((t: { id: number }) => t.id === created.id).last_used_at;
    expect(await lastUsed()).toBeNull();
    await api.send("GET", "/api/health", { token: created.token });
    await api.send("GET", "/api/nginx/proxy-hosts", { token: created.token });
    const first = await lastUsed();
    expect(first).toBe("2026-03-01T10:00:00.000Z");
    time.advance(LAST_USED_RESOLUTION_MS - 1000);
    await Promise.all(Array.from({ length: 5 }, () => api.send("GET", "/api/nginx/proxy-hosts", { token: created.token })));
    expect(await lastUsed()).toBe(first);
    time.advance(2000);
    await api.send("GET", "/api/nginx/proxy-hosts", { token: created.token });
    expect(await lastUsed()).toBe(new Date(Date.parse(first) + LAST_USED_RESOLUTION_MS + 1000).toISOString());
  });

  it("answers 401 to missing and malformed Authorization headers", async () => {
    const api = await testApi();
    const variants: Array<Record<string, string>> = [{}, { Authorization: "Basic abc" }, { Authorization: "Bearer" }, { Authorization: "Bearer a b" }];
    for (const headers of variants) {
      const response = await api.send("GET", "/api/nginx/proxy-hosts", { token: null, headers });
      expect(response.status).toBe(401);
      expect(response.body.request_id).toBe(response.headers.get("X-Request-Id"));
    }
  });

  it("slows down repeated failures from one address with 429 and Retry-After, sparing valid tokens", async () => {
    const time = movableClock(Date.parse("2026-03-01T10:00:10Z"));
    const api = await testApi({ clock: time.clock, authFailureLimits: { maxFailures: 3, windowSeconds: 60 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await api.send("GET", "/api/v1/settings", { token: "chrn_wrong" })).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const limited = await api.call("GET", "/api/v1/settings", { token: "chrn_wrong" });
    expect(limited.headers.get("Retry-After")).toBe("50");
    expect((await api.send("GET", "/api/v1/settings", { token: api.tokens.read })).status).toBe(200);
    time.advance(50_000);
    expect((await api.send("GET", "/api/v1/settings", { token: "chrn_wrong" })).status).toBe(401);
  });
});
