import { randomBytes, randomUUID, X509Certificate } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strFromU8, unzipSync } from "fflate";
import { afterAll, expect, inject, it } from "vitest";
import { freePort } from "@charon/local";
import { npmStart, type StartedServer } from "../support/npm-start.js";

/**
 * Issue 9: `npm start` killed (SIGKILL, nothing cleans up) while an order runs (its DNS-01
 * value written) resumes the order when started again, from the data it left in the table, and
 * finishes: the certificate is issued and the value is gone. DynamoDB is the run's (it outlives
 * the process, as DynamoDB Local under CHARON_DATA_DIR does); Pebble and PowerDNS are the run's.
 */
const zone = `restart-${randomBytes(3).toString("hex")}.test`;
const pdns = { url: inject("powerdnsApiUrl"), key: inject("powerdnsApiKey") };
const token = `chrn_${randomBytes(24).toString("hex")}`;
const started: StartedServer[] = [];

afterAll(async () => {
  for (const server of started) await server.interrupt();
});

async function pdnsTxt(name: string): Promise<string[]> {
  const response = await fetch(`${pdns.url}/api/v1/servers/localhost/zones/${zone}.`, { headers: { "x-api-key": pdns.key } });
  const body = (await response.json()) as { rrsets: Array<{ name: string; type: string; records: Array<{ content: string }> }> };
  return body.rrsets.filter((r) => r.name === `${name}.` && r.type === "TXT").flatMap((r) => r.records.map((x) => x.content));
}

it("a killed npm start resumes the open order after restart and finishes it", async () => {
  const created = await fetch(`${pdns.url}/api/v1/servers/localhost/zones`, {
    method: "POST",
    headers: { "x-api-key": pdns.key, "content-type": "application/json" },
    body: JSON.stringify({ name: `${zone}.`, kind: "Native", nameservers: [`ns1.${zone}.`] }),
  });
  expect(created.status).toBe(201);
  const env = {
    CHARON_DATA_DIR: await mkdtemp(join(tmpdir(), "charon-restart-")),
    CHARON_BOOTSTRAP_TOKEN: token,
    CHARON_TABLE_NAME: `restart-${randomUUID()}`,
    AWS_ENDPOINT_URL_DYNAMODB: inject("dynamodbEndpoint"),
    CHARON_ACME_DIRECTORY_URL: inject("pebbleDirectoryUrl"),
    CHARON_DNS_RESOLVERS: inject("powerdnsDnsAddress"),
    // A process killed while holding the order is replaced this soon.
    CHARON_ORDER_LEASE_SECONDS: "5",
    // The harness's PowerDNS API is on loopback, which the outbound policy refuses by default.
    CHARON_OUTBOUND_ALLOW: "loopback",
  };
  const start = async () => {
    const server = await npmStart({ ...env, PORT: String(await freePort()) });
    started.push(server);
    return server;
  };
  let server = await start();
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.origin}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : text };
  };

  expect((await call("PUT", "/api/v1/settings", { dns_propagation_timeout_seconds: 300, dns_polling_interval_seconds: 2 })).status).toBe(200);
  const provider = await call("POST", "/api/v1/dns-providers", {
    name: "PowerDNS",
    acme_dns_provider: "powerdns",
    meta: { PDNS_API_URL: pdns.url, PDNS_API_KEY: pdns.key },
  });
  expect(provider.status, JSON.stringify(provider.body)).toBe(201);
  const requested = await call("POST", "/api/nginx/certificates", {
    provider: "letsencrypt",
    domain_names: [`www.${zone}`],
    meta: { dns_provider_id: provider.body.id },
  });
  expect(requested.status, JSON.stringify(requested.body)).toBe(201);
  const id: number = requested.body.id;
  // Killed once the order is under way (its CA steps wait at least a second each), wherever it is.
  await expect
    .poll(async () => {
      const { step, error } = (await call("GET", `/api/nginx/certificates/${id}`)).body;
      return error ?? (step !== null && step !== "requested");
    }, { timeout: 30_000, interval: 50 })
    .toBe(true);
  await server.kill();
  server = await start();

  await expect
    .poll(async () => {
      const { status, step } = (await call("GET", `/api/nginx/certificates/${id}`)).body;
      return `${status}/${step}`;
      // The restarted process waits for the dead one's order lease (5 s), then runs the rest of
      // the order (propagation polled every 2 s, the CA every 1 s): well under 20 s here. Killed
      // while holding the lease on the record name, it takes that lease back at once (its owner
      // is the challenge's value, not the process), so no wait for it to expire (60 s) plus a
      // retry fits in this bound; the rest of it is margin for a loaded machine.
    }, { timeout: 45_000, interval: 200 })
    .toBe("active/null")
    .catch((error: unknown) => {
      throw new Error(`${String(error)}\nthe restarted npm start printed:\n${server.output().slice(-4000)}`);
    });
  expect(server.output()).toContain("resumed unfinished certificate orders");
  const certificate = (await call("GET", `/api/nginx/certificates/${id}`)).body;
  const download = await fetch(`${server.origin}/api/nginx/certificates/${id}/download`, { headers: { Authorization: `Bearer ${token}` } });
  expect(download.status).toBe(200);
  const files = unzipSync(new Uint8Array(await download.arrayBuffer()));
  const leaf = new X509Certificate(strFromU8(files["cert.pem"]!));
  expect(leaf.subjectAltName).toBe(`DNS:www.${zone}`);
  expect(certificate.serial).toBe(leaf.serialNumber.toLowerCase());
  expect(await pdnsTxt(`_acme-challenge.www.${zone}`)).toEqual([]);
}, 120_000);
