import { createOutboundPolicy } from "@charon/outbound";
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { ChallengeCredentials, ServiceUnavailableError, UpstreamError, ValidationError } from "@charon/core";
import { DynamoCredentialRepository, DynamoRecordLeases } from "@charon/aws";
import { dnsProviderClientFactory, dnsProviderTypes, normaliseCredentials } from "@charon/dns";
import { DnsSolver, NameServers, parseNameServers, propagationTimeoutMessage } from "@charon/acme";
import { dnsTestApp, type DnsTestApp } from "../../../test/support/dns-app.js";
import { providerWith } from "../../../test/dns/helpers.js";

// The run's PowerDNS (test/harness/powerdns.ts): its HTTP API to set zones up and look inside,
// its DNS port (127.0.0.1 and 127.0.0.2) for the solver's queries.
const apiUrl = inject("powerdnsApiUrl");
const apiKey = inject("powerdnsApiKey");
const dnsAddress = inject("powerdnsDnsAddress");
const dnsPort = Number(dnsAddress.split(":")[1]);
// Zones of this file only: PowerDNS is shared by the whole run.
const run = randomBytes(3).toString("hex");
const zone = (label: string) => `${label}-${run}.test`;

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

/** A zone whose name servers are `ns1.<zone>` (127.0.0.1) and `ns2.<zone>` (127.0.0.2), plus `records`. */
async function createZone(name: string, records: Array<{ name: string; type: string; content: string }> = []): Promise<void> {
  await pdns("POST", "/zones", { name: `${name}.`, kind: "Native", nameservers: [`ns1.${name}.`, `ns2.${name}.`] });
  const all = [
    { name: `ns1.${name}`, type: "A", content: "127.0.0.1" },
    { name: `ns2.${name}`, type: "A", content: "127.0.0.2" },
    ...records,
  ];
  await pdns("PATCH", `/zones/${name}.`, {
    rrsets: all.map((r) => ({ name: `${r.name}.`, type: r.type, ttl: 60, changetype: "REPLACE", records: [{ content: r.content, disabled: false }] })),
  });
}

/** TXT values PowerDNS stores at `fqdn` in `zoneName`, unquoted and sorted. */
async function storedTxt(zoneName: string, fqdn: string): Promise<string[]> {
  const detail = (await pdns("GET", `/zones/${zoneName}.`)) as { rrsets: Array<{ name: string; type: string; records: Array<{ content: string }> }> };
  const rrset = detail.rrsets.find((r) => r.type === "TXT" && r.name === `${fqdn}.`);
  return (rrset?.records ?? []).map((r) => r.content.replace(/^"|"$/g, "")).sort();
}

/** `hops` CNAMEs from `_acme-challenge.<label>.<customer zone>`, the last into the validation zone. */
function cnameChain(label: string, hops: number): Array<{ name: string; type: string; content: string }> {
  const names = [
    `_acme-challenge.${label}.${zone("customer")}`,
    ...Array.from({ length: hops - 1 }, (_, i) => `${label}-hop${i + 1}.${zone("customer")}`),
    `${label}.${zone("validation")}`,
  ];
  return names.slice(0, -1).map((name, i) => ({ name, type: "CNAME", content: `${names[i + 1]}.` }));
}

let t: DnsTestApp;
let providerId: number;
let credentialIds: Record<string, number>;
let challenges: ChallengeCredentials;
let leases: DynamoRecordLeases;

/** A solver as a worker process builds it; two of them stand for two Lambda instances. */
function solver(
  options: {
    authoritative?: boolean;
    timeoutMs?: number;
    propagationServers?: string;
    recursive?: string;
    leaseWaitMs?: number;
    challenges?: ChallengeCredentials;
  } = {},
): DnsSolver {
  const resolvers = parseNameServers(options.recursive ?? `127.0.0.1:${dnsPort}`);
  return new DnsSolver({
    challenges: options.challenges ?? challenges,
    leases,
    ...(options.leaseWaitMs !== undefined ? { leaseWaitMs: options.leaseWaitMs } : {}),
    // PowerDNS stands in for the recursive resolver too: it answers for every zone used here.
    nameServers: new NameServers({ recursive: resolvers, timeoutMs: options.timeoutMs ?? 1_000, authoritativePort: dnsPort }),
    propagationServers: options.authoritative ? undefined : parseNameServers(options.propagationServers ?? `127.0.0.1:${dnsPort}`),
  });
}

beforeAll(async () => {
  t = await dnsTestApp();
  await createZone(zone("apex"));
  await createZone(zone("customer"), [
    { name: `_acme-challenge.shop.${zone("customer")}`, type: "CNAME", content: `shop-customer.${zone("validation")}.` },
    { name: `_acme-challenge.loop.${zone("customer")}`, type: "CNAME", content: `loop-b.${zone("customer")}.` },
    { name: `loop-b.${zone("customer")}`, type: "CNAME", content: `_acme-challenge.loop.${zone("customer")}.` },
    ...cnameChain("ten", 10),
    ...cnameChain("eleven", 11),
  ]);
  await createZone(zone("validation"));
  await createZone(zone("parent"));
  await createZone(`dev.${zone("parent")}`);
  const credentials = { api_url: apiUrl, api_key: apiKey };
  const created = await providerWith(
    t,
    {
      Apex: zone("apex"),
      Validation: zone("validation"),
      Parent: zone("parent"),
    },
    { type: "powerdns", meta: { PDNS_API_URL: apiUrl, PDNS_API_KEY: apiKey }, credentials },
  );
  providerId = created.providerId;
  credentialIds = created.ids;
  challenges = new ChallengeCredentials({
    directory: t.services.dnsDirectory,
    credentials: new DynamoCredentialRepository(t.table),
    secrets: t.secrets,
    catalog: {
      types: dnsProviderTypes,
      normaliseCredentials,
      createClient: dnsProviderClientFactory({ timeoutMs: 5_000, retries: 1, outbound: createOutboundPolicy({ loopback: true }) }),
    },
  });
  leases = new DynamoRecordLeases(t.table, { now: () => new Date() });
});

describe("locate (dns-01.md §1)", () => {
  it("puts the apex and the wildcard on one record name, with the credential of the name", async () => {
    const s = solver();
    const apex = await s.locate(providerId, zone("apex"));
    const wildcard = await s.locate(providerId, `*.${zone("apex")}`);
    expect(apex).toEqual({
      identifier: zone("apex"),
      recordName: `_acme-challenge.${zone("apex")}`,
      effectiveRecordName: `_acme-challenge.${zone("apex")}`,
      cnameChain: [],
      providerId,
      providerType: "powerdns",
      credential: { id: credentialIds["Apex"], name: "Apex" },
    });
    expect(wildcard).toEqual({ ...apex, identifier: `*.${zone("apex")}` });
  });

  it("follows a CNAME into the validation zone and chooses the credential filtered on it", async () => {
    const record = await solver().locate(providerId, `shop.${zone("customer")}`);
    expect(record.cnameChain).toEqual([`shop-customer.${zone("validation")}`]);
    expect(record.effectiveRecordName).toBe(`shop-customer.${zone("validation")}`);
    expect(record.credential).toEqual({ id: credentialIds["Validation"], name: "Validation" });
  });

  it("names the chain of a CNAME loop", async () => {
    const error = await solver().locate(providerId, `loop.${zone("customer")}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    const loop = `_acme-challenge.loop.${zone("customer")}`;
    expect((error as ValidationError).message).toBe(`CNAME loop: ${loop} → loop-b.${zone("customer")} → ${loop}`);
  });

  it("follows at most 10 CNAMEs, and names the chain past that", async () => {
    const ten = await solver().locate(providerId, `ten.${zone("customer")}`);
    expect(ten.cnameChain).toHaveLength(10);
    expect(ten.effectiveRecordName).toBe(`ten.${zone("validation")}`);
    expect(ten.credential.name).toBe("Validation");
    const error = await solver().locate(providerId, `eleven.${zone("customer")}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    const message = (error as ValidationError).message;
    expect(message.startsWith(`More than 10 CNAMEs from _acme-challenge.eleven.${zone("customer")}: _acme-challenge.eleven.`)).toBe(true);
    expect(message.endsWith(` → eleven.${zone("validation")}`)).toBe(true);
    expect(message.split(" → ")).toHaveLength(12);
  });

  it("is a 502 naming the resolver when the CNAME look-up gets no answer, never a 500", async () => {
    const s = solver({ recursive: `127.0.0.3:${dnsPort}`, timeoutMs: 100 });
    const error = await s.locate(providerId, zone("apex")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ status: 502, message: `127.0.0.3:${dnsPort} did not answer within 100 ms` });
  });

  it("answers the documents' message for a name that selects no credential, directly or through a CNAME", async () => {
    await expect(solver().locate(providerId, `www.${zone("customer")}`)).rejects.toThrow(
      `No credential found for provider 'powerdns' and zone '${zone("customer")}'`,
    );
  });
});

describe("present, clean up and propagation (dns-01.md §2–3)", () => {
  it("keeps the apex and wildcard values side by side and removes each by value", async () => {
    const s = solver();
    const apex = await s.locate(providerId, zone("apex"));
    const wildcard = await s.locate(providerId, `*.${zone("apex")}`);
    expect(await s.present(apex, "apex-value")).toEqual({});
    await s.present(wildcard, "wildcard-value");
    expect(await storedTxt(zone("apex"), apex.effectiveRecordName)).toEqual(["apex-value", "wildcard-value"]);
    expect(await s.checkPropagation(apex, "apex-value")).toMatchObject({ propagated: true });
    expect(await s.checkPropagation(wildcard, "wildcard-value")).toMatchObject({ propagated: true });

    await s.cleanUp(apex, "apex-value");
    expect(await storedTxt(zone("apex"), apex.effectiveRecordName)).toEqual(["wildcard-value"]);
    await s.cleanUp(apex, "apex-value"); // idempotent
    await s.cleanUp(wildcard, "wildcard-value");
    expect(await storedTxt(zone("apex"), apex.effectiveRecordName)).toEqual([]);
  });

  it("writes a delegated name's value into the validation zone", async () => {
    const s = solver();
    const record = await s.locate(providerId, `shop.${zone("customer")}`);
    await s.present(record, "delegated-value");
    expect(await storedTxt(zone("validation"), `shop-customer.${zone("validation")}`)).toEqual(["delegated-value"]);
    expect(await s.checkPropagation(record, "delegated-value")).toMatchObject({ propagated: true });
    await s.cleanUp(record, "delegated-value");
    expect(await storedTxt(zone("validation"), `shop-customer.${zone("validation")}`)).toEqual([]);
  });

  it("writes into a sub-zone hosted on its own, not into its parent", async () => {
    const s = solver();
    const record = await s.locate(providerId, `api.dev.${zone("parent")}`);
    expect(record.credential.name).toBe("Parent");
    await s.present(record, "subzone-value");
    expect(await storedTxt(`dev.${zone("parent")}`, `_acme-challenge.api.dev.${zone("parent")}`)).toEqual(["subzone-value"]);
    expect(await storedTxt(zone("parent"), `_acme-challenge.api.dev.${zone("parent")}`)).toEqual([]);
    await s.cleanUp(record, "subzone-value");
  });

  it("keeps both values when two processes present on one record name at once", async () => {
    const [first, second] = [solver(), solver()];
    const record = await first.locate(providerId, `both.${zone("apex")}`);
    const values = Array.from({ length: 6 }, (_, i) => `concurrent-${i}`);
    await Promise.all(values.map((value, i) => (i % 2 === 0 ? first : second).present(record, value)));
    expect(await storedTxt(zone("apex"), record.effectiveRecordName)).toEqual(values);
    await Promise.all(values.map((value, i) => (i % 2 === 0 ? second : first).cleanUp(record, value)));
    expect(await storedTxt(zone("apex"), record.effectiveRecordName)).toEqual([]);
  });

  it("gives a resumed order back the lease its dead worker held, and keeps every other order out until it ends", async () => {
    const record = await solver().locate(providerId, `resumed.${zone("apex")}`);
    // A worker that dies mid-write: its provider call never returns, so its lease is never released.
    const dying: ChallengeCredentials = Object.create(challenges);
    dying.connect = async (provider, credentialId) => {
      const connected = await challenges.connect(provider, credentialId);
      return { ...connected, client: { ...connected.client, addTxtRecord: () => new Promise<never>(() => {}) } };
    };
    void solver({ challenges: dying }).present(record, "order-one-value");
    const lease = { pk: `LEASE#RECORD#${record.effectiveRecordName}`, sk: "LEASE" };
    await expect.poll(async () => (await t.table.get(lease)) !== undefined, { timeout: 10_000, interval: 20 }).toBe(true);

    // Another order for the same record name waits, then gets a 503 to retry later (the lease lasts 60 s).
    const other = await solver({ leaseWaitMs: 300 }).present(record, "order-two-value").catch((e: unknown) => e);
    expect(other).toBeInstanceOf(ServiceUnavailableError);
    expect((other as Error).message).toBe(`Another order is writing TXT values at ${record.effectiveRecordName}; retry shortly`);
    // The order the dead worker ran, resumed elsewhere, writes the same value without waiting.
    await solver({ leaseWaitMs: 300 }).present(record, "order-one-value");
    expect(await storedTxt(zone("apex"), record.effectiveRecordName)).toEqual(["order-one-value"]);
    // It released the lease when done, so the other order goes ahead now.
    await solver({ leaseWaitMs: 300 }).present(record, "order-two-value");
    expect(await storedTxt(zone("apex"), record.effectiveRecordName)).toEqual(["order-one-value", "order-two-value"]);
    await solver().cleanUp(record, "order-one-value");
    await solver().cleanUp(record, "order-two-value");
    expect(await storedTxt(zone("apex"), record.effectiveRecordName)).toEqual([]);
  });

  it("is not propagated until every authoritative server returns the value, and says what each returned", async () => {
    const s = solver({ authoritative: true });
    const record = await s.locate(providerId, `prop.${zone("apex")}`);
    const before = await s.checkPropagation(record, "propagation-value");
    expect(before).toEqual({
      propagated: false,
      servers: [
        { server: `ns1.${zone("apex")}`, values: [] },
        { server: `ns2.${zone("apex")}`, values: [] },
      ],
    });
    await s.present(record, "other-value");
    const stale = await s.checkPropagation(record, "propagation-value");
    expect(stale).toMatchObject({ propagated: false, servers: [{ values: ["other-value"] }, { values: ["other-value"] }] });
    expect(propagationTimeoutMessage(record, stale)).toBe(
      `DNS propagation timeout: _acme-challenge.prop.${zone("apex")} not seen on ` +
        `ns1.${zone("apex")} (returned "other-value"), ns2.${zone("apex")} (returned "other-value")`,
    );
    await s.present(record, "propagation-value");
    const after = await s.checkPropagation(record, "propagation-value");
    expect(after.propagated).toBe(true);
    expect(after.servers.map((server) => [server.server, server.values.sort()])).toEqual([
      [`ns1.${zone("apex")}`, ["other-value", "propagation-value"]],
      [`ns2.${zone("apex")}`, ["other-value", "propagation-value"]],
    ]);
    await s.cleanUp(record, "propagation-value");
    await s.cleanUp(record, "other-value");
  });
});

describe("DNS queries", () => {
  it("reads a record set too large for one datagram over TCP, on every server", async () => {
    const s = solver({ authoritative: true });
    const record = await s.locate(providerId, `large.${zone("apex")}`);
    // 40 values the size of ACME key authorisation digests: far past the 1 232 octets of one answer.
    const values = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(2, "0")}${"x".repeat(41)}`);
    await pdns("PATCH", `/zones/${zone("apex")}.`, {
      rrsets: [
        { name: `${record.effectiveRecordName}.`, type: "TXT", ttl: 60, changetype: "REPLACE", records: values.map((v) => ({ content: `"${v}"`, disabled: false })) },
      ],
    });
    const state = await s.checkPropagation(record, values[39]!);
    expect(state.propagated).toBe(true);
    expect(state.servers.map((server) => server.values.sort())).toEqual([values, values]);
  });
});

describe("CHARON_DNS_RESOLVERS", () => {
  it("replaces the authoritative servers, and every one of them must show the value", async () => {
    // 127.0.0.3 runs no DNS server: the value is on PowerDNS, but not on every listed server.
    const s = solver({ timeoutMs: 200, propagationServers: `127.0.0.1:${dnsPort},127.0.0.3:${dnsPort}` });
    const record = await s.locate(providerId, `split.${zone("apex")}`);
    await s.present(record, "split-value");
    const state = await s.checkPropagation(record, "split-value");
    expect(state).toEqual({
      propagated: false,
      servers: [{ server: `127.0.0.3:${dnsPort}`, values: [], error: `127.0.0.3:${dnsPort} did not answer within 200 ms` }],
    });
    expect(propagationTimeoutMessage(record, state)).toBe(
      `DNS propagation timeout: _acme-challenge.split.${zone("apex")} not seen on 127.0.0.3:${dnsPort} (127.0.0.3:${dnsPort} did not answer within 200 ms)`,
    );
    expect(await solver().checkPropagation(record, "split-value")).toEqual({
      propagated: true,
      servers: [{ server: `127.0.0.1:${dnsPort}`, values: ["split-value"] }],
    });
    await s.cleanUp(record, "split-value");
  });

  it("reads host:port lists and rejects what is not an address", () => {
    expect(parseNameServers("192.0.2.1:5353, [2001:db8::1]:53,198.51.100.7")).toEqual([
      { host: "192.0.2.1", port: 5353, label: "192.0.2.1:5353" },
      { host: "2001:db8::1", port: 53, label: "[2001:db8::1]:53" },
      { host: "198.51.100.7", port: 53, label: "198.51.100.7" },
    ]);
    expect(() => parseNameServers("ns1.example.com:53")).toThrow("CHARON_DNS_RESOLVERS: 'ns1.example.com:53' is not an address");
    expect(() => parseNameServers("192.0.2.1:70000")).toThrow("'192.0.2.1:70000'");
  });
});
