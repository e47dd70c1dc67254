import { randomBytes } from "node:crypto";
import {
  CreateHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { createDnsProviderClient, type DnsClientOptions, type DnsProviderError } from "@charon/dns";
import { startFaultProxy } from "../../../test/fakes/fault-proxy.js";
import type { Faults } from "../../../test/fakes/faults.js";
import { unquoteTxt } from "../src/names.js";
import { describeProviderContract, zoneNames, type ProviderFixture } from "./contract.js";

// The run's moto (test/harness/moto.ts), reached directly to set up and inspect, and through a
// fault proxy by the adapter. moto accepts any key, so the proxy refuses unknown access key ids
// the way Route 53 does (403 InvalidClientTokenId) before moto sees them.
const motoEndpoint = inject("motoEndpoint");
const ACCESS_KEY_ID = "AKIACHARONTESTKEY001";
const SECRET_ACCESS_KEY = "charon/test/secret/key/0123456789abcdefghij";
let proxy: { url: string; faults: Faults; stop: () => Promise<void> };

const direct = new Route53Client({
  region: "us-east-1",
  endpoint: motoEndpoint,
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});

const xml = (root: string, inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="https://route53.amazonaws.com/doc/2013-04-01/">${inner}</${root}>`;

/** Route 53's error document. */
const awsError = (type: string, code: string, message: string) => ({
  body: xml(
    "ErrorResponse",
    `<Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomBytes(8).toString("hex")}</RequestId>`,
  ),
  contentType: "text/xml",
});

const changeInfo = (root: string, status: string) =>
  xml(root, `<ChangeInfo><Id>/change/C0TEST${status}</Id><Status>${status}</Status><SubmittedAt>2026-01-04T15:30:00Z</SubmittedAt></ChangeInfo>`);

const fast = (): DnsClientOptions => ({
  endpoints: { route53: proxy.url },
  timeoutMs: 5_000,
  retries: 3,
  minRetryDelayMs: 5,
  maxRetryDelayMs: 20,
});

beforeAll(async () => {
  proxy = await startFaultProxy(motoEndpoint, {
    errorBody: (status) =>
      status === 400
        ? awsError("Sender", "Throttling", "Rate exceeded")
        : status === 403
          ? awsError("Sender", "InvalidClientTokenId", "The security token included in the request is invalid.")
          : status >= 500
            ? awsError("Receiver", "ServiceUnavailable", "Service is unavailable. Please try again later.")
            : awsError("Sender", "InvalidInput", "Invalid request"),
    refuse: ({ headers }) => {
      const credential = /Credential=([^/,\s]+)\//.exec(String(headers["authorization"] ?? ""))?.[1];
      if (credential === ACCESS_KEY_ID) return undefined;
      const { body, contentType } = awsError("Sender", "InvalidClientTokenId", "The security token included in the request is invalid.");
      return { status: 403, body, headers: { "content-type": contentType } };
    },
  });
});
afterAll(() => proxy.stop());
beforeEach(() => proxy.faults.reset());

async function zoneId(name: string): Promise<string> {
  const answer = await direct.send(new ListHostedZonesByNameCommand({ DNSName: `${name}.`, MaxItems: 1 }));
  const zone = answer.HostedZones?.find((z) => z.Name === `${name}.`);
  if (!zone?.Id) throw new Error(`no hosted zone ${name}`);
  return zone.Id;
}

async function txtValues(zone: string, fqdn: string): Promise<string[]> {
  const answer = await direct.send(
    new ListResourceRecordSetsCommand({ HostedZoneId: await zoneId(zone), StartRecordName: `${fqdn}.`, StartRecordType: "TXT", MaxItems: 1 }),
  );
  const set = answer.ResourceRecordSets?.find((s) => s.Type === "TXT" && s.Name === `${fqdn}.`);
  return (set?.ResourceRecords ?? []).map((r) => r.Value ?? "");
}

const fixture = (): ProviderFixture => ({
  label: "Route 53",
  client: (options = {}) =>
    createDnsProviderClient(
      "route53",
      { access_key_id: ACCESS_KEY_ID, secret_access_key: SECRET_ACCESS_KEY },
      { ...fast(), ...options },
    ),
  createZones: async (names) => {
    await Promise.all(
      names.map((name) => direct.send(new CreateHostedZoneCommand({ Name: name, CallerReference: randomBytes(8).toString("hex") }))),
    );
  },
  txtValues: async (zone, fqdn) => (await txtValues(zone, fqdn)).map(unquoteTxt).sort(),
  faults: proxy.faults,
  // ListHostedZones returns at most 100 zones a page.
  zonesForPagination: 105,
  listIsPaginated: true,
  testPerformed: "zone_list",
  // Route 53 says "slow down" with a 400 Throttling error and no Retry-After.
  rateLimitNext: (times) => proxy.faults.failNext(400, times),
  rateLimitHasRetryAfter: false,
  badCredentials: () => ({
    client: createDnsProviderClient(
      "route53",
      { AWS_ACCESS_KEY_ID: "AKIAUNKNOWNKEY000000", AWS_SECRET_ACCESS_KEY: "not/the/right/secret/key" },
      fast(),
    ),
    message: "Route 53 API returned 403: The security token included in the request is invalid.",
    secret: "not/the/right/secret/key",
  }),
  // The SDK reads an HTML page as XML without the elements it expects.
  garbageMessage: /^Route 53 API returned an unexpected response to ListHostedZones: no HostedZones$/,
});

describeProviderContract(fixture);

describe("Route 53 specifics", () => {
  it("keeps a name's values as one record set of quoted strings, and deletes it with the last value", async () => {
    const [name] = zoneNames(1);
    await fixture().createZones([name!]);
    const client = fixture().client();
    const zone = (await client.listZones()).find((z) => z.name === name)!;
    expect(zone.id).not.toMatch(/^\/hostedzone\//);
    await client.addTxtRecord(zone, `_acme-challenge.${name}`, "first", 60);
    await client.addTxtRecord(zone, `_acme-challenge.${name}`, "second", 60);
    expect(await txtValues(name!, `_acme-challenge.${name}`)).toEqual(['"first"', '"second"']);
    await client.removeTxtRecord(zone, `_acme-challenge.${name}`, "first");
    await client.removeTxtRecord(zone, `_acme-challenge.${name}`, "second");
    const answer = await direct.send(new ListResourceRecordSetsCommand({ HostedZoneId: await zoneId(name!) }));
    expect(answer.ResourceRecordSets?.filter((s) => s.Type === "TXT")).toEqual([]);
  });

  it("a hosted_zone_id limits the credential to that zone (AWS_HOSTED_ZONE_ID)", async () => {
    const [name] = zoneNames(1);
    await fixture().createZones([name!]);
    const id = await zoneId(name!);
    const client = createDnsProviderClient(
      "route53",
      { AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, AWS_REGION: "eu-west-1", AWS_HOSTED_ZONE_ID: id },
      fast(),
    );
    expect(await client.verify()).toEqual({ testPerformed: "get_hosted_zone", accessibleZones: [name] });
    expect(proxy.faults.requests.map((r) => r.path)).not.toContain("/2013-04-01/hostedzone");
  });

  it("returns a change that is PENDING at once, and reports its status until INSYNC (no waiting inside)", async () => {
    const [name] = zoneNames(1);
    await fixture().createZones([name!]);
    const client = fixture().client();
    const zone = (await client.listZones()).find((z) => z.name === name)!;
    proxy.faults.failNext(200, 1, {
      body: changeInfo("ChangeResourceRecordSetsResponse", "PENDING"),
      contentType: "text/xml",
      filter: (r) => r.method === "POST" && /\/rrset\/?$/.test(r.path),
    });
    const change = await client.addTxtRecord(zone, `_acme-challenge.${name}`, "pending-value", 60);
    expect(change).toEqual({ changeId: "C0TESTPENDING" });
    expect(proxy.faults.count((r) => r.path.includes("/change/"))).toBe(0);
    proxy.faults.failNext(200, 1, {
      body: changeInfo("GetChangeResponse", "PENDING"),
      contentType: "text/xml",
      filter: (r) => r.path.includes("/change/"),
    });
    expect(await client.changeStatus!(change!.changeId)).toBe("pending");
    // moto applies changes at once: GetChange answers INSYNC for its own change ids.
    const applied = await client.addTxtRecord(zone, `_acme-challenge.${name}`, "applied-value", 60);
    expect(await client.changeStatus!(applied!.changeId)).toBe("in_sync");
    expect(await client.addTxtRecord(zone, `_acme-challenge.${name}`, "applied-value", 60)).toBeUndefined();
  });

  it("a body that is not XML at all is reported as unreadable", async () => {
    proxy.faults.failNext(200, 1, { body: "not xml {{{ at all", contentType: "text/plain" });
    const error = (await fixture().client().listZones().catch((e: unknown) => e)) as DnsProviderError;
    expect(error.message).toBe("Route 53 API returned an unreadable response to ListHostedZones (HTTP 200)");
    expect(error.reason).toBe("bad_response");
  });

  it("a load balancer's error page is retried and then named by its status", async () => {
    proxy.faults.failNext(502, 3, { body: "<html><body>Bad Gateway</body></html>", contentType: "text/html" });
    proxy.faults.failNext(503, 3, { body: "upstream down", contentType: "text/plain" });
    const client = fixture().client({ retries: 2 });
    await expect(client.listZones()).rejects.toThrow("Route 53 API returned 502: Bad Gateway (gave up after 3 attempts)");
    await expect(client.listZones()).rejects.toThrow("Route 53 API returned 503: Service Unavailable (gave up after 3 attempts)");
  });

  it("an unknown hosted zone is Route 53's NoSuchHostedZone message", async () => {
    const error = (await fixture()
      .client()
      .addTxtRecord({ id: "ZNOTAZONE", name: "missing.charon-test.net" }, "_acme-challenge.missing.charon-test.net", "v", 60)
      .catch((e: unknown) => e)) as DnsProviderError;
    expect(error.message).toBe("Route 53 API returned 404: No hosted zone found with ID: ZNOTAZONE");
    expect(error.reason).toBe("not_found");
  });
});
