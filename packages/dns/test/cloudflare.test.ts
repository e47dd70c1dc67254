import { createServer } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDnsProviderClient, type DnsClientOptions, type DnsProviderError } from "@charon/dns";
import {
  CLOUDFLARE_ERRORS,
  cloudflareErrorBody,
  cloudflareGlobalKey,
  cloudflareToken,
  startFakeCloudflare,
  type CloudflareFakeState,
} from "../../../test/fakes/cloudflare/index.js";
import { unquoteTxt } from "../src/names.js";
import { describeProviderContract, zoneNames, type ProviderFixture } from "./contract.js";

const TOKEN = cloudflareToken();
const KEY = cloudflareGlobalKey();
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
  badCredentials: () => {
    const unknown = cloudflareToken();
    return {
      client: createDnsProviderClient("cloudflare", { CF_API_TOKEN: unknown }, fast(fake.url)),
      message: "Cloudflare API returned 401: Invalid API Token",
      secret: unknown,
    };
  },
  garbageMessage: /^Cloudflare API returned an unreadable response to GET \/zones \(HTTP 200, not JSON\)$/,
  redirectMessage: (location) => `Cloudflare API answered 307 with a redirect to ${location}; configure the final URL instead`,
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
    fake.state.addGlobalKey("ops@example.com", KEY);
    const [name] = zoneNames(1);
    fake.state.addZone(name!);
    const client = createDnsProviderClient("cloudflare", { CF_API_KEY: KEY, CF_API_EMAIL: "ops@example.com" }, fast(fake.url));
    const check = await client.verify();
    expect(check.accessibleZones).toContain(name);
    // The global key cannot call /user/tokens/verify; only the zone list was asked for.
    expect(fake.state.requests.map((r) => r.path)).not.toContain("/client/v4/user/tokens/verify");
  });

  it("reports a wrong global key with Cloudflare's wording", async () => {
    fake.state.addGlobalKey("ops@example.com", KEY);
    const client = createDnsProviderClient("cloudflare", { api_key: cloudflareGlobalKey(), email: "ops@example.com" }, fast(fake.url));
    const error = (await client.verify().catch((e: unknown) => e)) as DnsProviderError;
    expect(error.message).toBe("Cloudflare API returned 403: Unknown X-Auth-Key or X-Auth-Email");
    expect(error.reason).toBe("auth");
    expect(error.upstreamStatus).toBe(403);
    expect(error.upstreamMessage).toBe("Unknown X-Auth-Key or X-Auth-Email");
  });

  it("a global key of a form Cloudflare never issues is refused as a malformed header", async () => {
    const client = createDnsProviderClient("cloudflare", { api_key: "wrong-key-999999", email: "ops@example.com" }, fast(fake.url));
    const error = (await client.verify().catch((e: unknown) => e)) as DnsProviderError;
    expect(error.message).toBe("Cloudflare API returned 400: Invalid request headers: Invalid format for X-Auth-Key header");
    expect(error.reason).toBe("auth");
  });

  it("an identical record that appeared since the adapter looked counts as created", async () => {
    const [name] = zoneNames(1);
    const zone = fake.state.addZone(name!);
    const creates = (r: { method: string }) => r.method === "POST";
    // Another process (a second issuance of the same challenge) created it between list and create.
    fake.state.failNext(400, 1, { filter: creates, body: cloudflareErrorBody(CLOUDFLARE_ERRORS.identical), contentType: "application/json" });
    await fixture().client().addTxtRecord({ id: zone.id, name: zone.name }, `_acme-challenge.${zone.name}`, "same", 120);
    expect(fake.state.count(creates)).toBe(1);
  });

  it("any other refusal of a create is an error with Cloudflare's wording", async () => {
    const [name] = zoneNames(1);
    const zone = fake.state.addZone(name!);
    fake.state.failNext(400, 1, {
      filter: (r) => r.method === "POST",
      body: cloudflareErrorBody(CLOUDFLARE_ERRORS.validation),
      contentType: "application/json",
    });
    const error = (await fixture()
      .client()
      .addTxtRecord({ id: zone.id, name: zone.name }, `_acme-challenge.${zone.name}`, "v", 120)
      .catch((e: unknown) => e)) as DnsProviderError;
    expect(error.message).toBe("Cloudflare API returned 400: DNS Validation Error");
    expect(error.reason).toBe("rejected");
  });

  it("reports an expired token as such", async () => {
    const expired = cloudflareToken();
    fake.state.addToken(expired, { status: "expired" });
    const client = createDnsProviderClient("cloudflare", { api_token: expired }, fast(fake.url));
    await expect(client.verify()).rejects.toThrow("Cloudflare API token is expired");
  });

  it("a token scoped to some zones sees only those, and is refused the others", async () => {
    const [mine, theirs] = zoneNames(2);
    fake.state.addZone(mine!);
    const other = fake.state.addZone(theirs!);
    const scoped = cloudflareToken();
    fake.state.addToken(scoped, { zones: [mine!] });
    const client = createDnsProviderClient("cloudflare", { api_token: scoped }, fast(fake.url));
    expect((await client.verify()).accessibleZones).toEqual([mine]);
    const error = (await client
      .addTxtRecord({ id: other.id, name: other.name }, `_acme-challenge.${other.name}`, "v", 60)
      .catch((e: unknown) => e)) as DnsProviderError;
    expect(error.message).toBe("Cloudflare API returned 403: Authentication error");
    expect(error.reason).toBe("forbidden");
  });

  it.each(["has spaces in it", "your-cloudflare-token", `${cloudflareToken()}x`])(
    "a token of a form Cloudflare never issues (%j) gets Cloudflare's error chain",
    async (token) => {
      const client = createDnsProviderClient("cloudflare", { api_token: token }, fast(fake.url));
      const error = (await client.listZones().catch((e: unknown) => e)) as DnsProviderError;
      expect(error.message).toBe(
        "Cloudflare API returned 400: Invalid request headers: Invalid format for Authorization header",
      );
      expect(error.reason).toBe("auth");
    },
  );

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
    const waits: number[] = [];
    const client = fixture().client({ sleep: async (ms) => void waits.push(ms) });
    const error = (await client.listZones().catch((e: unknown) => e)) as DnsProviderError;
    expect(waits).toEqual([]);
    expect(fake.state.count()).toBe(1);
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
