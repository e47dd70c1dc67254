import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { createOutboundPolicy } from "@charon/outbound";
import { createDnsProviderClient, type DnsClientOptions, type DnsProviderError } from "@charon/dns";
import { startFaultProxy } from "../../../test/fakes/fault-proxy.js";
import type { Faults } from "../../../test/fakes/faults.js";
import { unquoteTxt } from "../src/names.js";
import { describeProviderContract, zoneNames, type ProviderFixture } from "./contract.js";

// The run's PowerDNS (test/harness/powerdns.ts), reached directly to set up and inspect, and
// through a fault proxy by the adapter.
const apiUrl = inject("powerdnsApiUrl");
const apiKey = inject("powerdnsApiKey");
let proxy: { url: string; faults: Faults; stop: () => Promise<void> };

// The harness's PowerDNS is on loopback, which the outbound policy allows only when told to.
const fast: DnsClientOptions = { timeoutMs: 5_000, retries: 3, minRetryDelayMs: 5, maxRetryDelayMs: 20, outbound: createOutboundPolicy({ loopback: true }) };

beforeAll(async () => {
  proxy = await startFaultProxy(apiUrl, {
    // PowerDNS's web server answers errors as {"error": …}; a 429 can only come from a proxy in front.
    errorBody: (status) =>
      status === 429
        ? { body: "Too Many Requests", contentType: "text/plain" }
        : { body: JSON.stringify({ error: status >= 500 ? "Internal Server Error" : "Bad Request" }), contentType: "application/json" },
  });
});
afterAll(() => proxy.stop());
beforeEach(() => proxy.faults.reset());

/** Calls PowerDNS's API directly (not through the adapter). */
async function pdns(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${apiUrl}/api/v1/servers/localhost${path}`, {
    method,
    headers: { "x-api-key": apiKey, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`PowerDNS ${method} ${path}: ${response.status} ${text}`);
  return text === "" ? undefined : (JSON.parse(text) as unknown);
}

async function txtContents(zone: string, fqdn: string): Promise<string[]> {
  const detail = (await pdns("GET", `/zones/${zone}.`)) as { rrsets: Array<{ name: string; type: string; records: Array<{ content: string }> }> };
  const rrset = detail.rrsets.find((r) => r.type === "TXT" && r.name === `${fqdn}.`);
  return rrset ? rrset.records.map((r) => r.content) : [];
}

const fixture = (): ProviderFixture => ({
  label: "PowerDNS",
  client: (options = {}) =>
    createDnsProviderClient("powerdns", { api_url: proxy.url, api_key: apiKey }, { ...fast, ...options }),
  createZones: async (names) => {
    for (const name of names) {
      await pdns("POST", "/zones", { name: `${name}.`, kind: "Native", nameservers: [`ns1.${name}.`] });
    }
  },
  txtValues: async (zone, fqdn) => (await txtContents(zone, fqdn)).map(unquoteTxt).sort(),
  faults: proxy.faults,
  // The zone list is not paginated.
  zonesForPagination: 3,
  listIsPaginated: false,
  testPerformed: "zone_list",
  rateLimitNext: (times) => proxy.faults.failNext(429, times, { retryAfterSeconds: 1 }),
  rateLimitHasRetryAfter: true,
  badCredentials: () => ({
    client: createDnsProviderClient("powerdns", { PDNS_API_URL: apiUrl, PDNS_API_KEY: "wrong-api-key-123" }, fast),
    message: "PowerDNS API returned 401: Unauthorized",
    secret: "wrong-api-key-123",
  }),
  garbageMessage: /^PowerDNS API returned an unreadable response to GET \/zones \(HTTP 200, not JSON\)$/,
  redirectMessage: (location) => `PowerDNS API answered 307 with a redirect to ${location}; configure the final URL instead`,
});

describeProviderContract(fixture);

describe("PowerDNS specifics", () => {
  it("keeps TXT values it did not write, and quotes its own", async () => {
    const [name] = zoneNames(1);
    await fixture().createZones([name!]);
    await pdns("PATCH", `/zones/${name}.`, {
      rrsets: [
        { name: `${name}.`, type: "TXT", ttl: 3600, changetype: "REPLACE", records: [{ content: '"v=spf1 -all"', disabled: false }] },
      ],
    });
    const client = fixture().client();
    const zone = { id: `${name}.`, name: name! };
    await client.addTxtRecord(zone, name!, "acme-at-apex", 120);
    expect((await txtContents(name!, name!)).sort()).toEqual(['"acme-at-apex"', '"v=spf1 -all"']);
    await client.removeTxtRecord(zone, name!, "acme-at-apex");
    expect(await txtContents(name!, name!)).toEqual(['"v=spf1 -all"']);
  });

  it("accepts the API URL with /api/v1 and the PDNS_* names, and a server id", async () => {
    const [name] = zoneNames(1);
    await fixture().createZones([name!]);
    const client = createDnsProviderClient(
      "powerdns",
      { PDNS_API_URL: `${apiUrl}/api/v1/`, PDNS_API_KEY: apiKey, PDNS_SERVER_ID: "localhost" },
      fast,
    );
    expect((await client.verify()).accessibleZones).toContain(name);
  });

  it("says which server id is wrong", async () => {
    const client = createDnsProviderClient("powerdns", { api_url: apiUrl, api_key: apiKey, server_id: "nope" }, fast);
    const error = (await client.listZones().catch((e: unknown) => e)) as DnsProviderError;
    expect(error.message).toBe("PowerDNS API returned 404: no server 'nope' (check server_id)");
    expect(error.reason).toBe("not_found");
  });

  it("says which zone the server does not hold", async () => {
    const error = (await fixture()
      .client()
      .addTxtRecord({ id: "missing.charon-test.net.", name: "missing.charon-test.net" }, "_acme-challenge.missing.charon-test.net", "v", 60)
      .catch((e: unknown) => e)) as DnsProviderError;
    expect(error.message).toBe(
      "PowerDNS API returned 404: server 'localhost' has no zone 'missing.charon-test.net.' for _acme-challenge.missing.charon-test.net " +
        "(create the zone there, or delegate _acme-challenge to a zone it holds)",
    );
    expect(error.reason).toBe("not_found");
    expect(error.upstreamStatus).toBe(404);
  });
});
