/**
 * The console's sign-in (docs/decisions/0024-console-sessions.md): a token exchanged for an HttpOnly session cookie,
 * the cookie in place of `Authorization: Bearer` with exactly the token's rights, the CSRF rule
 * on every cookie request that changes something, and a session that never outlives its token.
 */
import { describe, expect, it } from "vitest";
import { hashToken, type Clock } from "@charon/core";
import { testApi } from "../../../test/support/api.js";

function movableClock(start = Date.parse("2026-03-01T10:00:00Z")) {
  let now = start;
  const clock: Clock = { now: () => new Date(now) };
  return { clock, advance: (ms: number) => (now += ms) };
}

const HOUR = 3600_000;
const newHost = (name: string) => ({ domain_names: [`${name}.example.com`], forward_host: "10.0.0.5", forward_port: 3000 });

describe("sessions", () => {
  it("exchanges a token for an HttpOnly, Secure, SameSite=Strict cookie on /api and answers the CSRF token and the token's rights", async () => {
    const time = movableClock();
    const api = await testApi({ clock: time.clock, standardDns: false });
    const token = await api.issue({ name: "console", permission: "scoped", scopes: { proxy_hosts: "write" } });
    const signedIn = await api.send("POST", "/api/v1/sessions", { token: null, body: { token } });
    expect(signedIn.status).toBe(201);
    const setCookie = signedIn.headers.get("set-cookie")!;
    const value = /^charon_session=([A-Za-z0-9_-]{43});/.exec(setCookie)?.[1];
    expect(value).toBeDefined();
    expect(setCookie.split("; ").slice(1).sort()).toEqual(["HttpOnly", "Max-Age=28800", "Path=/api", "SameSite=Strict", "Secure"]);
    expect(signedIn.body).toEqual({
      csrf_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expires_at: "2026-03-01T18:00:00.000Z",
      token: { id: expect.any(Number), name: "console", permission: "scoped", scopes: { proxy_hosts: "write" }, expires_at: null },
    });
    expect(signedIn.body.csrf_token).not.toBe(value);

    // Stored by hash: neither the cookie's value nor the token's is in the table.
    const stored = await api.table.get({ pk: `SESSION#${hashToken(value!)}`, sk: "SESSION" });
    expect(stored).toMatchObject({ token_id: signedIn.body.token.id, expires_at_epoch: Date.parse("2026-03-01T18:00:00Z") / 1000 });
    expect(JSON.stringify(stored)).not.toContain(value);
    expect(JSON.stringify(stored)).not.toContain(token);

    // A reloaded page recovers the same CSRF token.
    const current = await api.send("GET", "/api/v1/sessions/current", { token: null, headers: { Cookie: `charon_session=${value}` } });
    expect(current.status).toBe(200);
    expect(current.body).toEqual(signedIn.body);
  });

  it("lets the cookie do exactly what its token may: reads, and writes with the CSRF token", async () => {
    const api = await testApi({ standardDns: false });
    const session = await api.signIn(await api.issue({ permission: "scoped", scopes: { proxy_hosts: "write" } }));
    expect((await api.send("GET", "/api/nginx/proxy-hosts", { token: null, headers: session.cookie })).status).toBe(200);
    const denied = await api.send("GET", "/api/nginx/certificates", { token: null, headers: session.cookie });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toBe("Insufficient permissions to read certificates");
    const created = await api.send("POST", "/api/nginx/proxy-hosts", { token: null, headers: session.withCsrf, body: newHost("cookie") });
    expect(created.status).toBe(201);
    const readOnly = await api.signIn(api.tokens.read);
    const refused = await api.send("POST", "/api/nginx/proxy-hosts", { token: null, headers: readOnly.withCsrf, body: newHost("read-only") });
    expect(refused.status).toBe(403);
  });

  describe("the CSRF rule", () => {
    it("refuses a cookie request that changes something without the CSRF token, with a wrong one, or from another origin, and does nothing", async () => {
      const api = await testApi({ standardDns: false });
      const session = await api.signIn(api.tokens.full);
      const other = await api.signIn(api.tokens.full);
      const attempts: Array<[Record<string, string>, string]> = [
        [session.cookie, "Missing CSRF token: a request with the session cookie that changes something must send the header 'X-CSRF-Token'"],
        [{ ...session.cookie, "X-CSRF-Token": "" }, "Missing CSRF token"],
        [{ ...session.cookie, "X-CSRF-Token": other.csrfToken }, "Wrong CSRF token: 'X-CSRF-Token' is not this session's csrf_token"],
        [{ ...session.withCsrf, Origin: "https://evil.example" }, "Cross-site request refused: Origin 'https://evil.example' is not this API's origin"],
        [{ ...session.withCsrf, Origin: "null" }, "Cross-site request refused: Origin 'null'"],
        [{ ...session.withCsrf, "Sec-Fetch-Site": "cross-site" }, "Cross-site request refused: Sec-Fetch-Site is 'cross-site'"],
        [{ ...session.withCsrf, "Sec-Fetch-Site": "same-site" }, "Cross-site request refused: Sec-Fetch-Site is 'same-site'"],
      ];
      for (const [headers, message] of attempts) {
        const response = await api.send("POST", "/api/nginx/proxy-hosts", { token: null, headers, body: newHost("forged") });
        expect(response.status, JSON.stringify(headers)).toBe(403);
        expect(response.body).toMatchObject({ error: "Forbidden" });
        expect(response.body.message).toContain(message);
      }
      const forgedDelete = await api.send("DELETE", "/api/v1/sessions/current", { token: null, headers: session.cookie });
      expect(forgedDelete.status).toBe(403);
      expect((await api.send("GET", "/api/nginx/proxy-hosts")).body).toEqual([]);
      expect((await api.send("GET", "/api/v1/sessions/current", { token: null, headers: session.cookie })).status).toBe(200);
    });

    it("accepts the page's own origin, as the browser names it directly or through CloudFront's X-Forwarded-Host", async () => {
      const api = await testApi({ standardDns: false });
      const session = await api.signIn(api.tokens.full);
      const sameOrigin = { ...session.withCsrf, Origin: "http://localhost", "Sec-Fetch-Site": "same-origin" };
      expect((await api.send("POST", "/api/nginx/proxy-hosts", { token: null, headers: sameOrigin, body: newHost("direct") })).status).toBe(201);
      const routed = { ...session.withCsrf, Origin: "https://d111.cloudfront.net", "X-Forwarded-Host": "d111.cloudfront.net" };
      expect((await api.send("POST", "/api/nginx/proxy-hosts", { token: null, headers: routed, body: newHost("routed") })).status).toBe(201);
    });

    it("lets a cookie alone read (GET needs no CSRF token)", async () => {
      const api = await testApi({ standardDns: false });
      const session = await api.signIn(api.tokens.read);
      const listed = await api.send("GET", "/api/v1/tokens", { token: null, headers: { ...session.cookie, "Sec-Fetch-Site": "same-origin" } });
      expect(listed.status).toBe(200);
    });

    it("leaves Bearer requests as they were: no CSRF token, any Origin, and a cookie beside them ignored", async () => {
      const api = await testApi({ standardDns: false });
      const readOnly = await api.signIn(api.tokens.read);
      const bearer = await api.send("POST", "/api/nginx/proxy-hosts", {
        headers: { ...readOnly.cookie, Origin: "https://automation.example" },
        body: newHost("bearer"),
      });
      expect(bearer.status).toBe(201);
    });
  });

  it("ends every session of a token at once when the token is revoked", async () => {
    const api = await testApi({ standardDns: false });
    const created = (await api.send("POST", "/api/v1/tokens", { body: { name: "person", permission: "read" } })).body;
    const session = await api.signIn(created.token);
    expect((await api.send("GET", "/api/nginx/proxy-hosts", { token: null, headers: session.cookie })).status).toBe(200);
    expect((await api.send("DELETE", `/api/v1/tokens/${created.id}`)).status).toBe(200);
    for (const path of ["/api/nginx/proxy-hosts", "/api/v1/sessions/current"]) {
      const after = await api.send("GET", path, { token: null, headers: session.cookie });
      expect(after.status).toBe(401);
      expect(after.body.message).toContain("The session has ended");
    }
  });

  it("ends the session after its lifetime", async () => {
    const time = movableClock();
    const api = await testApi({ clock: time.clock, standardDns: false });
    const session = await api.signIn(api.tokens.full);
    time.advance(8 * HOUR - 1000);
    expect((await api.send("GET", "/api/v1/sessions/current", { token: null, headers: session.cookie })).status).toBe(200);
    time.advance(1000);
    const ended = await api.send("GET", "/api/nginx/proxy-hosts", { token: null, headers: session.cookie });
    expect(ended.status).toBe(401);
    expect(ended.body).toMatchObject({ error: "Unauthorized", message: expect.stringContaining("sign in again with POST /api/v1/sessions") });
  });

  it("never outlives its token, and takes its lifetime from the configuration", async () => {
    const time = movableClock();
    const api = await testApi({ clock: time.clock, standardDns: false, sessionLifetimeSeconds: 2 * 3600 });
    const full = await api.signIn(api.tokens.full);
    expect(full.setCookie).toContain("Max-Age=7200");
    const shortLived = await api.issue({ name: "short", permission: "read", expiresAt: "2026-03-01T11:00:00.000Z" });
    const response = await api.send("POST", "/api/v1/sessions", { token: null, body: { token: shortLived } });
    expect(response.body.expires_at).toBe("2026-03-01T11:00:00.000Z");
    expect(response.headers.get("set-cookie")).toContain("Max-Age=3600");
    const cookie = { Cookie: response.headers.get("set-cookie")!.split(";")[0]! };
    time.advance(HOUR);
    expect((await api.send("GET", "/api/nginx/proxy-hosts", { token: null, headers: cookie })).status).toBe(401);
  });

  it("signs out: the session ends and the cookie is cleared", async () => {
    const api = await testApi({ standardDns: false });
    const session = await api.signIn(api.tokens.full);
    const out = await api.call("DELETE", "/api/v1/sessions/current", { token: null, headers: session.withCsrf });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/^charon_session=; Max-Age=0; Path=\/api; HttpOnly; Secure; SameSite=Strict$/);
    const after = await api.send("GET", "/api/v1/sessions/current", { token: null, headers: session.cookie });
    expect(after.status).toBe(401);
    // The token itself still works.
    expect((await api.send("GET", "/api/v1/sessions/current", { token: null, headers: (await api.signIn(api.tokens.full)).cookie })).status).toBe(200);
  });

  it("refuses a bad, missing or cross-site sign-in, and a session route without a cookie", async () => {
    const api = await testApi({ standardDns: false });
    const bad = await api.send("POST", "/api/v1/sessions", { token: null, body: { token: "chrn_not-a-token" } });
    expect(bad.status).toBe(401);
    expect(bad.body).toMatchObject({ error: "Unauthorized", message: "Invalid or expired API token" });
    expect(bad.headers.get("set-cookie")).toBeNull();
    const missing = await api.send("POST", "/api/v1/sessions", { token: null, body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain("token");
    for (const token of ["chrn_ x", "chrn_\u0000x", "chrn_ü"]) {
      const malformed = await api.send("POST", "/api/v1/sessions", { token: null, body: { token } });
      expect(malformed.status, token).toBe(400);
      expect(malformed.body.message).toContain("token: must be an API token");
    }
    const crossSite = await api.send("POST", "/api/v1/sessions", {
      token: null,
      headers: { Origin: "https://evil.example" },
      body: { token: api.tokens.full },
    });
    expect(crossSite.status).toBe(403);
    const none = await api.send("GET", "/api/v1/sessions/current", { token: null });
    expect(none.status).toBe(401);
    expect(none.body.message).toBe("No session: sign in with POST /api/v1/sessions, which sets the cookie 'charon_session'");
    // A bearer token is not a session.
    expect((await api.send("GET", "/api/v1/sessions/current")).status).toBe(401);
    const unknown = await api.send("GET", "/api/nginx/proxy-hosts", { token: null, headers: { Cookie: "charon_session=made-up" } });
    expect(unknown.status).toBe(401);
  });

  it("counts failed sign-ins and unknown cookies with the other failed authentications (429)", async () => {
    const api = await testApi({ standardDns: false, authFailureLimits: { maxFailures: 2, windowSeconds: 60 } });
    expect((await api.send("POST", "/api/v1/sessions", { token: null, body: { token: "chrn_wrong-1" } })).status).toBe(401);
    expect((await api.send("GET", "/api/nginx/proxy-hosts", { token: null, headers: { Cookie: "charon_session=made-up" } })).status).toBe(401);
    const limited = await api.send("POST", "/api/v1/sessions", { token: null, body: { token: "chrn_wrong-2" } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("does not count a signed-out browser's question (no cookie at all) as a failed authentication", async () => {
    const api = await testApi({ standardDns: false, authFailureLimits: { maxFailures: 2, windowSeconds: 60 } });
    for (let load = 0; load < 5; load++) {
      expect((await api.send("GET", "/api/v1/sessions/current", { token: null })).status).toBe(401);
    }
    expect((await api.send("POST", "/api/v1/sessions", { token: null, body: { token: "chrn_wrong" } })).status).toBe(401);
  });
});
