/**
 * The behaviour every DNS provider adapter owes the core, run against each provider's real or
 * faithful server: Cloudflare and DigitalOcean fakes, moto for Route 53, PowerDNS itself (the
 * last two behind a fault proxy so failures can be injected).
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { ValidationError, type DnsProviderClient, type DnsZone } from "@charon/core";
import { DnsProviderError, type DnsClientOptions } from "@charon/dns";
import type { Faults } from "../../../test/fakes/faults.js";

export interface ProviderFixture {
  /** How messages name the provider: "Cloudflare". */
  label: string;
  /** A client with valid credentials; `options` override the fixture's (short) defaults. */
  client(options?: DnsClientOptions): DnsProviderClient;
  /** Creates zones on the server directly, not through the adapter. */
  createZones(names: string[]): Promise<void>;
  /** The TXT values at `fqdn`, read from the server directly (unquoted), sorted. */
  txtValues(zoneName: string, fqdn: string): Promise<string[]>;
  faults: Faults;
  /** Enough zones to need more than one page of the provider's zone list. */
  zonesForPagination: number;
  /** False for providers whose zone list has no pages (PowerDNS). */
  listIsPaginated: boolean;
  /** What `verify()` reports it did. */
  testPerformed: string;
  /** Makes the provider's next `times` answers say "slow down", as that provider does. */
  rateLimitNext(times: number): void;
  /** True when `rateLimitNext` sends a Retry-After of one second the client must honour. */
  rateLimitHasRetryAfter: boolean;
  /** A client with credentials the server refuses, the exact message expected, and the secret. */
  badCredentials(): { client: DnsProviderClient; message: string; secret: string };
  /** The message for an answer that is not JSON / XML. */
  garbageMessage: RegExp;
  /** The message for a redirect to `location`; undefined where the SDK words it (Route 53). */
  redirectMessage?: (location: string) => string;
}

/** Unique lower-case zone names for one test. */
export function zoneNames(count: number, tag = randomBytes(4).toString("hex")): string[] {
  return Array.from({ length: count }, (_, i) => `z${i}-${tag}.charon-test.net`);
}

const challenge = (zone: string) => `_acme-challenge.${zone}`;

export function describeProviderContract(fixture: () => ProviderFixture): void {
  /** A new zone, as the adapter lists it. */
  async function freshZone(client: DnsProviderClient): Promise<DnsZone> {
    const [name] = zoneNames(1);
    await fixture().createZones([name!]);
    const zone = (await client.listZones()).find((z) => z.name === name);
    if (!zone) throw new Error(`zone ${name} not listed`);
    return zone;
  }

  /** How many requests one clean `listZones()` takes now. */
  async function requestsPerListing(client: DnsProviderClient): Promise<number> {
    const before = fixture().faults.count();
    await client.listZones();
    return fixture().faults.count() - before;
  }

  describe("the DNS provider contract", () => {
    it("lists every zone across pages, names normalised", async () => {
      const f = fixture();
      const tag = randomBytes(4).toString("hex");
      const names = zoneNames(f.zonesForPagination, tag);
      await f.createZones(names);
      const client = f.client();
      const before = f.faults.count();
      const zones = await client.listZones();
      const ours = zones.filter((z) => z.name.endsWith(`-${tag}.charon-test.net`));
      expect(ours.map((z) => z.name).sort()).toEqual([...names].sort());
      for (const zone of ours) {
        expect(zone.id).not.toBe("");
        expect(zone.name).not.toMatch(/\.$/);
      }
      if (f.listIsPaginated) expect(f.faults.count() - before).toBeGreaterThan(1);
    });

    it("adds a second TXT value beside the first, and both are served", async () => {
      const f = fixture();
      const client = f.client();
      const zone = await freshZone(client);
      await client.addTxtRecord(zone, challenge(zone.name), "token-apex-111", 60);
      await client.addTxtRecord(zone, challenge(zone.name), "token-wildcard-222", 60);
      expect(await f.txtValues(zone.name, challenge(zone.name))).toEqual(["token-apex-111", "token-wildcard-222"]);
    });

    it("adds values for two challenges at the same time without losing either", async () => {
      const f = fixture();
      const client = f.client();
      const zone = await freshZone(client);
      const name = `_acme-challenge.www.${zone.name}`;
      await Promise.all([
        client.addTxtRecord(zone, name, "parallel-a", 60),
        client.addTxtRecord(zone, name, "parallel-b", 60),
        client.addTxtRecord(zone, name, "parallel-c", 60),
      ]);
      expect(await f.txtValues(zone.name, name)).toEqual(["parallel-a", "parallel-b", "parallel-c"]);
    });

    it("adding a value that is already there changes nothing", async () => {
      const f = fixture();
      const client = f.client();
      const zone = await freshZone(client);
      await client.addTxtRecord(zone, challenge(zone.name), "same-value", 60);
      await client.addTxtRecord(zone, `${challenge(zone.name).toUpperCase()}.`, "same-value", 60);
      expect(await f.txtValues(zone.name, challenge(zone.name))).toEqual(["same-value"]);
    });

    it("removes only its own value, then the last one", async () => {
      const f = fixture();
      const client = f.client();
      const zone = await freshZone(client);
      await client.addTxtRecord(zone, challenge(zone.name), "keep-me", 60);
      await client.addTxtRecord(zone, challenge(zone.name), "remove-me", 60);
      await client.removeTxtRecord(zone, challenge(zone.name), "remove-me");
      expect(await f.txtValues(zone.name, challenge(zone.name))).toEqual(["keep-me"]);
      await client.removeTxtRecord(zone, challenge(zone.name), "keep-me");
      expect(await f.txtValues(zone.name, challenge(zone.name))).toEqual([]);
    });

    it("removing a value that is not there succeeds and touches nothing", async () => {
      const f = fixture();
      const client = f.client();
      const zone = await freshZone(client);
      await client.removeTxtRecord(zone, challenge(zone.name), "never-added");
      await client.addTxtRecord(zone, challenge(zone.name), "present", 60);
      await client.removeTxtRecord(zone, challenge(zone.name), "absent");
      expect(await f.txtValues(zone.name, challenge(zone.name))).toEqual(["present"]);
    });

    it("refuses a record name outside the zone", async () => {
      const f = fixture();
      const client = f.client();
      const zone = await freshZone(client);
      await expect(client.addTxtRecord(zone, "_acme-challenge.elsewhere.example", "x1", 60)).rejects.toThrow(ValidationError);
      await expect(client.addTxtRecord(zone, `_acme-challenge.not${zone.name}`, "x1", 60)).rejects.toThrow(
        `'_acme-challenge.not${zone.name}' is not inside zone '${zone.name}'`,
      );
    });

    it("verify() authenticates and reports the accessible zones", async () => {
      const f = fixture();
      const names = zoneNames(2);
      await f.createZones(names);
      const check = await f.client().verify();
      expect(check.testPerformed).toBe(f.testPerformed);
      expect(check.accessibleZones).toEqual(expect.arrayContaining(names));
      expect(check.accessibleZones).toEqual([...check.accessibleZones].sort());
    });

    it("bad credentials fail with the provider's own message and never the secret", async () => {
      const { client, message, secret } = fixture().badCredentials();
      const error = await client.verify().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DnsProviderError);
      const failure = error as DnsProviderError;
      expect(failure.message).toBe(message);
      expect(failure.reason).toBe("auth");
      expect(failure.status).toBe(502);
      expect(JSON.stringify({ message: failure.message, extra: failure.extra, upstream: failure.upstreamMessage })).not.toContain(secret);
    });

    it("is told to slow down, waits, and succeeds", async () => {
      const f = fixture();
      // The client's waits are recorded instead of slept, so the test reads the wait it chose.
      const waits: number[] = [];
      const client = f.client({ sleep: async (ms) => void waits.push(ms) });
      const clean = await requestsPerListing(client);
      f.rateLimitNext(1);
      const before = f.faults.count();
      await client.listZones();
      expect(f.faults.count() - before).toBe(clean + 1);
      if (f.rateLimitHasRetryAfter) expect(waits).toEqual([1000]);
    });

    it("retries server errors and succeeds", async () => {
      const f = fixture();
      const client = f.client();
      const clean = await requestsPerListing(client);
      f.faults.failNext(503, 1);
      f.faults.failNext(500, 1);
      const before = f.faults.count();
      await client.listZones();
      expect(f.faults.count() - before).toBe(clean + 2);
    });

    it("gives up on persistent server errors after a bounded number of attempts", async () => {
      const f = fixture();
      const client = f.client({ retries: 2 });
      f.faults.failNext(503, 10);
      const before = f.faults.count();
      const error = await client.listZones().catch((e: unknown) => e);
      f.faults.clearPlans();
      expect(error).toBeInstanceOf(DnsProviderError);
      expect((error as DnsProviderError).message).toMatch(
        new RegExp(`^${f.label} API returned 503: .+ \\(gave up after 3 attempts\\)$`),
      );
      expect((error as DnsProviderError).reason).toBe("unavailable");
      expect((error as DnsProviderError).attempts).toBe(3);
      expect(f.faults.count() - before).toBe(3);
    });

    it("gives up when the provider does not answer in time", async () => {
      const f = fixture();
      const client = f.client({ timeoutMs: 300, retries: 1 });
      f.faults.hangNext(2);
      const error = await client.listZones().catch((e: unknown) => e);
      f.faults.clearPlans();
      expect(error).toBeInstanceOf(DnsProviderError);
      expect((error as DnsProviderError).message).toMatch(
        new RegExp(`^${f.label} API did not answer within 0\\.3 s \\(.+\\) \\(gave up after 2 attempts\\)$`),
      );
      expect((error as DnsProviderError).reason).toBe("timeout");
    });

    it("never follows a redirect: the credentials never reach another host", async () => {
      const f = fixture();
      const elsewhere = await countingServer();
      try {
        const location = `${elsewhere.origin}/stolen`;
        f.faults.failNext(307, 1, { headers: { location } });
        const error = await f.client({ retries: 0 }).listZones().catch((e: unknown) => e);
        f.faults.clearPlans();
        expect(error).toBeInstanceOf(DnsProviderError);
        if (f.redirectMessage) expect((error as DnsProviderError).message).toBe(f.redirectMessage(location));
        expect(elsewhere.requests()).toBe(0);
      } finally {
        await elsewhere.stop();
      }
    });

    it("reports an unreadable answer clearly instead of crashing", async () => {
      const f = fixture();
      f.faults.garbageNext(1);
      const error = await f.client().listZones().catch((e: unknown) => e);
      f.faults.clearPlans();
      expect(error).toBeInstanceOf(DnsProviderError);
      expect((error as DnsProviderError).message).toMatch(f.garbageMessage);
      expect((error as DnsProviderError).reason).toBe("bad_response");
    });
  });
}

/** A server that only counts what reaches it: where a redirect would have sent the credentials. */
async function countingServer(): Promise<{ origin: string; requests: () => number; stop: () => Promise<void> }> {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests: () => requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
