import { randomBytes } from "node:crypto";
import { CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ChallengeCredentials } from "@charon/core";
import { DynamoCredentialRepository, DynamoRecordLeases } from "@charon/aws";
import { dnsProviderClientFactory, dnsProviderTypes, normaliseCredentials } from "@charon/dns";
import { DnsSolver, NameServers, parseNameServers, propagationTimeoutMessage } from "@charon/acme";
import { startFaultProxy } from "../../../test/fakes/fault-proxy.js";
import type { Faults } from "../../../test/fakes/faults.js";
import { dnsTestApp, type DnsTestApp } from "../../../test/support/dns-app.js";
import { providerWith } from "../../../test/dns/helpers.js";

// Route 53 on the run's moto, behind a fault proxy that can answer GetChange with PENDING (moto
// applies every change at once). DNS queries go to the run's PowerDNS, which serves no Route 53 zone.
const motoEndpoint = inject("motoEndpoint");
const dnsAddress = inject("powerdnsDnsAddress");
const zoneName = `r53-${randomBytes(3).toString("hex")}.test`;
const direct = new Route53Client({ region: "us-east-1", endpoint: motoEndpoint, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
const changeInfo = (status: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<GetChangeResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">` +
  `<ChangeInfo><Id>/change/C0TEST${status}</Id><Status>${status}</Status><SubmittedAt>2026-01-04T15:30:00Z</SubmittedAt></ChangeInfo></GetChangeResponse>`;

let proxy: { url: string; faults: Faults; stop: () => Promise<void> };
let t: DnsTestApp;
let solver: DnsSolver;
let providerId: number;
let hostedZoneId: string;

async function storedTxt(fqdn: string): Promise<string[]> {
  const answer = await direct.send(new ListResourceRecordSetsCommand({ HostedZoneId: hostedZoneId, StartRecordName: `${fqdn}.`, StartRecordType: "TXT", MaxItems: 1 }));
  const set = answer.ResourceRecordSets?.find((s) => s.Type === "TXT" && s.Name === `${fqdn}.`);
  return (set?.ResourceRecords ?? []).map((r) => r.Value ?? "");
}

beforeAll(async () => {
  proxy = await startFaultProxy(motoEndpoint, { errorBody: () => ({ body: "", contentType: "text/xml" }) });
  const created = await direct.send(new CreateHostedZoneCommand({ Name: zoneName, CallerReference: randomBytes(8).toString("hex") }));
  hostedZoneId = created.HostedZone!.Id!;
  t = await dnsTestApp();
  const keys = { access_key_id: "AKIACHARONTESTKEY002", secret_access_key: "charon/test/secret/key/route53-solver" };
  ({ providerId } = await providerWith(t, { Main: zoneName }, {
    type: "route53",
    meta: { AWS_ACCESS_KEY_ID: keys.access_key_id, AWS_SECRET_ACCESS_KEY: keys.secret_access_key },
    credentials: keys,
  }));
  const challenges = new ChallengeCredentials({
    directory: t.services.dnsDirectory,
    credentials: new DynamoCredentialRepository(t.table),
    secrets: t.secrets,
    catalog: {
      types: dnsProviderTypes,
      normaliseCredentials,
      createClient: dnsProviderClientFactory({ endpoints: { route53: proxy.url }, timeoutMs: 5_000, retries: 0 }),
    },
  });
  const powerdns = parseNameServers(dnsAddress);
  solver = new DnsSolver({
    challenges,
    leases: new DynamoRecordLeases(t.table, { now: () => new Date() }),
    nameServers: new NameServers({ recursive: powerdns, timeoutMs: 1_000 }),
    propagationServers: powerdns,
  });
});
afterAll(() => proxy.stop());

describe("Route 53 (dns-01.md §3: INSYNC first)", () => {
  it("reports a PENDING change without asking any name server, then asks them once it is INSYNC", async () => {
    const record = await solver.locate(providerId, `www.${zoneName}`);
    const receipt = await solver.present(record, "route53-value");
    expect(receipt.changeId).toMatch(/^[A-Z0-9]+$/);
    expect(await storedTxt(record.effectiveRecordName)).toEqual(['"route53-value"']);

    proxy.faults.failNext(200, 1, { body: changeInfo("PENDING"), contentType: "text/xml", filter: (r) => r.path.includes("/change/") });
    const pending = await solver.checkPropagation(record, "route53-value", receipt);
    expect(pending).toEqual({ propagated: false, servers: [], pendingChange: `route53 change ${receipt.changeId} is not in sync yet` });
    expect(propagationTimeoutMessage(record, pending)).toBe(
      `DNS propagation timeout: _acme-challenge.www.${zoneName}: route53 change ${receipt.changeId} is not in sync yet`,
    );

    // INSYNC now (moto): the name servers are asked; PowerDNS does not serve this zone.
    expect(await solver.checkPropagation(record, "route53-value", receipt)).toEqual({
      propagated: false,
      servers: [{ server: dnsAddress, values: [], error: "REFUSED" }],
    });

    await solver.cleanUp(record, "route53-value");
    expect(await storedTxt(record.effectiveRecordName)).toEqual([]);
  });
});
