import { createServer } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDnsProviderClient, type DnsClientOptions, type DnsProviderError } from "@charon/dns";
import { startFakeCloudflare, type CloudflareFakeState } from "../../../test/fakes/cloudflare/index.js";
import { unquoteTxt } from "../src/names.js";
import { describeProviderContract, zoneNames, type ProviderFixture } from "./contract.js";

const TOKEN = "cf-token-0123456789abcdefghijklmnopqrstu";
let fake: { url: string; stop: () => Promise<void>; state: CloudflareFakeState };

const fast = (url: string): DnsClientOptions => ({
  endpoints: { cloudflare: url },
  timeoutMs: 5_000,
  retries: 3,
  minRetryDelayMs: 5,
  maxRetryDelayMs: 20,
});

beforeAll(async () => {
  fake = await startFakeCloudflare();
  fake.state.addToken(TOKEN);
});
afterAll(() => fake.stop());
beforeEach(() => fake.state.reset());

const fixture = (): ProviderFixture => ({
  label: "Cloudflare",
  client: (options = {}) => createDnsProviderClient("cloudflare", { api_token: TOKEN }, { ...fast(fake.url), ...options }),
  createZones: async (names) => {
    for (const name of names) fake.state.addZone(name);
  },
  txtValues: async (zone, fqdn) => fake.state.txtContents(zone, fqdn).map(unquoteTxt).sort(),
  faults: fake.state,
  // Cloudflare's largest zone page is 50.
  zonesForPagination: 120,
  listIsPaginated: true,
  testPerformed: "zone_list",
  rateLimitNext: (times) => fake.state.failNext(429, times, { retryAfterSeconds: 1 }),
  rateLimitHasRetryAfter: true,
  badCredentials: () => ({
    client: createDnsProviderClient("cloudflare", { CF_API_TOKEN: "not-a-known-token-000000000000000000000" }, fast(fake.url)),
    message: "Cloudflare API returned 401: Invalid API Token",
    secret: "not-a-known-token-000000000000000000000",
  }),
  garbageMessage: /^Cloudflare API returned an unreadable response to GET \/zones \(HTTP 200, not JSON\)$/,
});

describeProviderContract(fixture);

describe("Cloudflare specifics", () => {
  it("stores one quoted TXT record per value", async () => {
    const [name] = zoneNames(1);
    const zone = fake.state.addZone(name!);
    const client = fixture().client();
    await client.addTxtRecord({ id: zone.id, name: zone.name }, `_acme-challenge.${zone.name}`, "abc", 120);
    await client.addTxtRecord({ id: zone.id, name: zone.name }, `_acme-challenge.${zone.name}`, "def", 120);
    const records = [...zone.records.values()];
    expect(records.map((r) => [r.type, r.name, r.content, r.ttl])).toEqual([
      ["TXT", `_acme-challenge.${zone.name}`, '"abc"', 120],
      ["TXT", `_acme-challenge.${zone.name}`, '"def"', 120],
    ]);
  });

  it("authenticates with a global API key and e-mail (CF_API_KEY + CF_API_EMAIL)", async () => {
    fake.state.addGlobalKey("ops@example.com", "global-key-1234567890");
    const [name] = zoneNames(1);
    fake.state.addZone(name!);
    const client = createDnsProviderClient(
      "cloudflare",
      { CF_API_KEY: "global-key-1234567890", CF_API_EMAIL: "ops@example.com" },
      fast(fake.url),
    );
    const check = await client.verify();
    expect(check.accessibleZones).toContain(name);
    // The global key cannot call /user/tokens/verify; only the zone list was asked for.
    expect(fake.state.requests.map((r) => r.path)).not.toContain("/client/v4/user/tokens/verify");
  });

  it("reports a wrong global key with Cloudflare's wording", async () => {
    fake.state.addGlobalKey("ops@example.com", "global-key-1234567890");
    const client = createDnsProviderClient("cloudflare", { api_key: "wrong-key-999999", email: "ops@example.com" }, fast(fake.url));
    const error = (await client.verify().catch((e: unknown) => e)) as DnsProviderError;
    expect(error.message).toBe("Cloudflare API returned 403: Unknown X-Auth-Key or X-Auth-Email");
    expect(error.reason).toBe("auth");
    expect(error.upstreamStatus).toBe(403);
    expect(error.upstreamMessage).toBe("Unknown X-Auth-Key or X-Auth-Email");
  });

  it("reports an expired token as such", async () => {
    fake.state.addToken("expired-token-abcdefghijklmnopqrstuvwxyz", { status: "expired" });
    const client = createDnsProviderClient("cloudflare", { api_token: "expired-token-abcdefghijklmnopqrstuvwxyz" }, fast(fake.url));
    await expect(client.verify()).rejects.toThrow("Cloudflare API token is expired");
  });

  it("a token scoped to some zones sees only those, and is refused the others", async () => {
    const [mine, theirs] = zoneNames(2);
    fake.state.addZone(mine!);
    const other = fake.state.addZone(theirs!);
    fake.state.addToken("scoped-token-abcdefghijklmnopqrstuvwxyz", { zones: [mine!] });
    const client = createDnsProviderClient("cloudflare", { api_token: "scoped-token-abcdefghijklmnopqrstuvwxyz" }, fast(fake.url));
    expect((await client.verify()).accessibleZones).toEqual([mine]);
    const error = (await client
      .addTxtRecord({ id: other.id, name: other.name }, `_acme-challenge.${other.name}`, "v", 60)
      .catch((e: unknown) => e)) as DnsProviderError;
    expect(error.message).toBe("Cloudflare API returned 403: Authentication error");
    expect(error.reason).toBe("forbidden");
  });

  it("a token passed through to a malformed header gets Cloudflare's error chain", async () => {
    const client = createDnsProviderClient("cloudflare", { api_token: "has spaces in it" }, fast(fake.url));
    const error = (await client.listZones().catch((e: unknown) => e)) as DnsProviderError;
    expect(error.message).toBe(
      "Cloudflare API returned 400: Invalid request headers: Invalid format for Authorization header",
    );
    expect(error.reason).toBe("auth");
  });

  it("never repeats a credential the API echoes back", async () => {
    fake.state.failNext(400, 1, {
      body: JSON.stringify({ success: false, errors: [{ code: 1, message: `bad token ${TOKEN}` }], messages: [], result: null }),
    });
    const error = (await fixture().client().listZones().catch((e: unknown) => e)) as DnsProviderError;
    expect(error.message).toBe("Cloudflare API returned 400: bad token [redacted]");
    expect(error.upstreamMessage).toBe("bad token [redacted]");
  });

  it("does not wait for a Retry-After beyond its limit", async () => {
    fake.state.failNext(429, 1, { retryAfterSeconds: 3600 });
    const started = Date.now();
    const error = (await fixture().client().listZones().catch((e: unknown) => e)) as DnsProviderError;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error.message).toBe(
      "Cloudflare API returned 429: Please wait and consider throttling your request speed (asked to retry after 3600 s)",
    );
    expect(error.reason).toBe("rate_limited");
  });

  it("a 5xx HTML page from the edge becomes its status text", async () => {
    fake.state.failNext(502, 1);
    const error = (await fixture().client({ retries: 0 }).listZones().catch((e: unknown) => e)) as DnsProviderError;
    expect(error.message).toBe("Cloudflare API returned 502: Bad Gateway");
  });

  it("a JSON body of the wrong shape is an unexpected response", async () => {
    fake.state.failNext(200, 1, { body: JSON.stringify({ hello: "world" }), contentType: "application/json" });
    await expect(fixture().client().listZones()).rejects.toThrow(
      "Cloudflare API returned an unexpected response to GET /zones: not a Cloudflare API envelope",
    );
  });

  it("says when Cloudflare cannot be reached at all", async () => {
    const port = await closedPort();
    const client = createDnsProviderClient("cloudflare", { api_token: TOKEN }, { ...fast(`http://127.0.0.1:${port}/client/v4`), retries: 1 });
    await expect(client.listZones()).rejects.toThrow(
      `Cloudflare API could not be reached at 127.0.0.1:${port}: ECONNREFUSED (gave up after 2 attempts)`,
    );
  });
});

/** A loopback port nothing listens on (taken from the kernel, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
