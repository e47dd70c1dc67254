import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDnsProviderClient, type DnsClientOptions, type DnsProviderError } from "@charon/dns";
import { digitalOceanToken, startFakeDigitalOcean, type DigitalOceanFakeState } from "../../../test/fakes/digitalocean/index.js";
import { describeProviderContract, zoneNames, type ProviderFixture } from "./contract.js";

const TOKEN = digitalOceanToken();
let fake: { url: string; stop: () => Promise<void>; state: DigitalOceanFakeState };

const fast = (url: string): DnsClientOptions => ({
  endpoints: { digitalocean: url },
  timeoutMs: 5_000,
  retries: 3,
  minRetryDelayMs: 5,
  maxRetryDelayMs: 20,
});

beforeAll(async () => {
  fake = await startFakeDigitalOcean();
  fake.state.addToken(TOKEN);
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.state.reset();
  fake.state.linkOrigin = undefined;
});

const fixture = (): ProviderFixture => ({
  label: "DigitalOcean",
  client: (options = {}) => createDnsProviderClient("digitalocean", { api_token: TOKEN }, { ...fast(fake.url), ...options }),
  createZones: async (names) => {
    for (const name of names) fake.state.addDomain(name);
  },
  txtValues: async (zone, fqdn) => fake.state.txtData(zone, fqdn).sort(),
  faults: fake.state,
  // DigitalOcean's largest page is 200.
  zonesForPagination: 450,
  listIsPaginated: true,
  testPerformed: "zone_list",
  rateLimitNext: (times) => fake.state.failNext(429, times, { retryAfterSeconds: 1 }),
  rateLimitHasRetryAfter: true,
  badCredentials: () => {
    const revoked = digitalOceanToken();
    return {
      client: createDnsProviderClient("digitalocean", { DO_AUTH_TOKEN: revoked }, fast(fake.url)),
      message: "DigitalOcean API returned 401: Unable to authenticate you",
      secret: revoked,
    };
  },
  garbageMessage: /^DigitalOcean API returned an unreadable response to GET \/domains \(HTTP 200, not JSON\)$/,
  redirectMessage: (location) => `DigitalOcean API answered 307 with a redirect to ${location}; configure the final URL instead`,
});

describeProviderContract(fixture);

describe("DigitalOcean specifics", () => {
  it("writes record names relative to the domain and data unquoted", async () => {
    const [name] = zoneNames(1);
    const domain = fake.state.addDomain(name!);
    const client = fixture().client();
    await client.addTxtRecord({ id: name!, name: name! }, `_acme-challenge.shop.${name}`, "abc", 10);
    await client.addTxtRecord({ id: name!, name: name! }, name!, "apex-value", 300);
    expect([...domain.records.values()].map((r) => [r.type, r.name, r.data, r.ttl])).toEqual([
      // DigitalOcean's shortest TTL is 30 s.
      ["TXT", "_acme-challenge.shop", "abc", 30],
      ["TXT", "@", "apex-value", 300],
    ]);
  });

  it("does not send a record creation again after an answer that timed out: it may have landed", async () => {
    const [name] = zoneNames(1);
    fake.state.addDomain(name!);
    const creations = (r: { method: string }) => r.method === "POST";
    fake.state.hangNext(1, creations);
    const client = fixture().client({ timeoutMs: 300, retries: 3 });
    const error = await client.addTxtRecord({ id: name!, name: name! }, `_acme-challenge.${name}`, "once", 30).catch((e: unknown) => e);
    expect((error as DnsProviderError).reason).toBe("timeout");
    expect(fake.state.count(creations)).toBe(1);
    // Reads and deletes are repeated as usual.
    fake.state.failNext(502, 1);
    await client.listZones();
  });

  it("honours DigitalOcean's ratelimit-reset when there is no Retry-After", async () => {
    const now = Date.parse("2026-01-04T15:30:00.250Z");
    const waits: number[] = [];
    const client = fixture().client({ now: () => now, sleep: async (ms) => void waits.push(ms) });
    // The window resets at 15:30:02 (epoch seconds): 1.75 s after the client's now.
    fake.state.failNext(429, 1, { headers: { "ratelimit-remaining": "0", "ratelimit-reset": String(Date.parse("2026-01-04T15:30:02Z") / 1000) } });
    await client.listZones();
    expect(waits).toEqual([1750]);
  });

  it("a read-only token is refused writes with DigitalOcean's wording", async () => {
    const [name] = zoneNames(1);
    fake.state.addDomain(name!);
    const readOnly = digitalOceanToken();
    fake.state.addToken(readOnly, { write: false });
    const client = createDnsProviderClient("digitalocean", { api_token: readOnly }, fast(fake.url));
    expect((await client.verify()).accessibleZones).toContain(name);
    const error = (await client
      .addTxtRecord({ id: name!, name: name! }, `_acme-challenge.${name}`, "v", 60)
      .catch((e: unknown) => e)) as DnsProviderError;
    expect(error.message).toBe("DigitalOcean API returned 403: You are not authorized to perform this operation");
    expect(error.reason).toBe("forbidden");
  });

  it("never follows a pagination link to another host with the token", async () => {
    const [tag] = zoneNames(1);
    for (let i = 0; fake.state.domains.size <= 200; i++) fake.state.addDomain(`${i}.${tag}`);
    fake.state.linkOrigin = "http://attacker.invalid";
    const error = (await fixture().client().listZones().catch((e: unknown) => e)) as DnsProviderError;
    expect(error.message).toBe(
      "DigitalOcean API returned an unexpected response to GET /domains: links.pages.next points to another host (attacker.invalid)",
    );
    expect(fake.state.requests).toHaveLength(1);
  });

  it("an unknown domain is DigitalOcean's not_found", async () => {
    const error = (await fixture()
      .client()
      .addTxtRecord({ id: "missing.example", name: "missing.example" }, "_acme-challenge.missing.example", "v", 60)
      .catch((e: unknown) => e)) as DnsProviderError;
    expect(error.message).toBe("DigitalOcean API returned 404: The resource you were accessing could not be found.");
    expect(error.reason).toBe("not_found");
  });

  it("a 5xx uses DigitalOcean's own message", async () => {
    fake.state.failNext(500, 1);
    const error = (await fixture().client({ retries: 0 }).listZones().catch((e: unknown) => e)) as DnsProviderError;
    expect(error.message).toBe("DigitalOcean API returned 500: Unexpected server-side error");
  });
});
