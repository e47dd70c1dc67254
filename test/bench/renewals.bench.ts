/**
 * `npm run bench:renewals` (issue 10, "Measured"): 10 000 certificates in the table, 200 of them
 * due, renewed against Pebble and PowerDNS.
 *
 * Starts DynamoDB Local, PowerDNS and Pebble as the test harness does, creates a PowerDNS provider
 * through the services, and seeds the table directly (the certificate items as the repository
 * writes them, renewal index keys included): 9 800 in service and not due, 200 due (one name each
 * in one PowerDNS zone). Pebble validates as a CA does, seconds after it is asked: its VA waits a
 * random whole 0–4 s first (PEBBLE_VA_SLEEPTIME=5, Pebble's own default; mean 2 s), which the
 * issuer waits out as delayed messages (polling the order every second) without holding a work
 * handler. PowerDNS answers at once, so no propagation wait is added: a real provider's seconds of
 * propagation would favour concurrency further. The configured issuance limits apply (10 orders
 * per DNS provider at once, Let's Encrypt's new-order budget; renewals that send `replaces` are
 * exempt from it). Then:
 * - read capacity: what the sweep's index queries consumed (`ReturnConsumedCapacity`, summed by
 *   `DynamoRenewalIndex.readCapacity`) against a query that reads all 10 000 certificates;
 * - renewing the 200 one at a time (each order opened once the previous one is stored, one work
 *   handler: what a cron script that renews certificates in turn does), then, made due again,
 *   all 200 from one sweep at the configured concurrency (the in-process queue's default of
 *   `npm start`, 4 handlers), waiting each time until every certificate has a new serial and no step.
 * Last line: `renewal speed-up over sequential: <ratio>x` (target ≥ 5x).
 *
 * It runs twice, the second time trusting Pebble's TLS CA (`trusting-pebble.ts`).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { BatchWriteCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import {
  DynamoCertificateRepository,
  DynamoRenewalIndex,
  certificateFromItem,
  certificateKey,
  createDynamoTable,
  ensureTable,
  renewalIndexKeys,
  type DynamoTable,
} from "@charon/aws";
import { RENEWAL_ACTOR, planRenewal, scheduleOf, type Certificate, type RenewalSchedule } from "@charon/core";
import { InProcessWorkQueue, LocalKeySealer, LocalSecretStore, startDynamoDbLocal, type RunningService } from "@charon/local";
import { createOutboundPolicy } from "@charon/outbound";
import { createServices, createWorkHandler, type AppServices } from "@charon/runtime";
import { startPebble } from "../harness/pebble.js";
import { createPowerDnsZone, startPowerDns } from "../harness/powerdns.js";
import { benchTrustingPebble } from "./trusting-pebble.js";

const CERTIFICATES = 10_000;
const DUE = 200;
/** `npm start`'s in-process queue: its default number of handlers at once. */
const CONFIGURED_CONCURRENCY = 4;
const ZONE = "renew.example.test";
/** PEBBLE_VA_SLEEPTIME: each validation starts after a random whole 0…(this − 1) s. */
const VALIDATION_SLEEP_SECONDS = 5;
const DEADLINE_MS = 30 * 60_000;
const SERVICES_VARIABLE = "CHARON_BENCH_RENEWALS_SERVICES";

interface Services {
  dynamodb: string;
  pdnsUrl: string;
  pdnsKey: string;
  dnsAddress: string;
  directoryUrl: string;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Starts DynamoDB Local, PowerDNS with the bench's zone, and Pebble validating against it. */
async function start(started: RunningService[]): Promise<{ services: Services; tlsRootFile: string }> {
  const dynamodb = await startDynamoDbLocal();
  started.push(dynamodb);
  const powerdns = await startPowerDns();
  started.push(powerdns);
  const dnsAddress = `127.0.0.1:${powerdns.dnsPort}`;
  const pebble = await startPebble({ dnsServer: dnsAddress, validationSleepSeconds: VALIDATION_SLEEP_SECONDS });
  started.push(pebble);
  await createPowerDnsZone(powerdns, ZONE);
  const services = { dynamodb: dynamodb.endpoint, pdnsUrl: powerdns.endpoint, pdnsKey: powerdns.apiKey, dnsAddress, directoryUrl: pebble.directoryUrl };
  return { services, tlsRootFile: pebble.tlsRootFile };
}

async function compose(table: DynamoTable, services: Services, scratch: string, secrets: LocalSecretStore, concurrency: number) {
  const logger = {
    info() {},
    warn: (message: string, ...extra: Array<Record<string, unknown>>) => console.error("warn:", message, JSON.stringify(extra)),
    error: (message: string, ...extra: Array<Record<string, unknown>>) => console.error("error:", message, JSON.stringify(extra)),
  };
  const queue = new InProcessWorkQueue({ logger, concurrency });
  const composed = createServices({
    table,
    secrets,
    workQueue: queue,
    // PowerDNS's API is on loopback (CHARON_OUTBOUND_ALLOW=loopback under npm start).
    dnsClientOptions: { outbound: createOutboundPolicy({ loopback: true }) },
    issuance: {
      sealer: new LocalKeySealer({ dataDirectory: scratch, key: randomBytes(32) }),
      logger,
      acme: { directoryUrl: services.directoryUrl, email: "bench@example.test" },
      resolvers: services.dnsAddress,
    },
  });
  queue.start(createWorkHandler(composed, logger));
  return { services: composed, stop: () => queue.stop() };
}

/** A certificate in service as a renewal leaves it, filed under `schedule`. */
function seeded(id: number, name: string, provider: Certificate["dns_provider"], credentialId: number, schedule: RenewalSchedule, now: Date): Record<string, unknown> {
  const certificate: Certificate = {
    id,
    provider: "letsencrypt",
    nice_name: name,
    domain_names: [name],
    status: "active",
    expires_on: new Date(now.getTime() + 90 * 86_400_000).toISOString(),
    created_on: now.toISOString(),
    modified_on: now.toISOString(),
    last_renewed_at: now.toISOString(),
    renewal_requested_at: null,
    meta: { dns_challenge: true, dns_provider: "powerdns", dns_provider_id: provider!.id, profile: "shortlived" },
    dns_provider: provider,
    credentials: [{ domain: name, credential_id: credentialId, credential_name: "PowerDNS Primary Credential" }],
    issued_at: now.toISOString(),
    serial: `5eed${id.toString(16)}`,
    issuer: "CN=seed",
    key_type: "ecdsa-p256",
    step: null,
    error: null,
    validations: [],
    ari_cert_id: null,
    ...schedule,
  };
  return {
    ...certificateKey(id),
    gsi1pk: "CERTIFICATES",
    gsi1sk: `CERTIFICATE#${String(id).padStart(12, "0")}`,
    ...renewalIndexKeys(id, schedule),
    ...certificate,
  };
}

async function batchWrite(table: DynamoTable, items: Array<Record<string, unknown>>): Promise<void> {
  const chunks: Array<Array<Record<string, unknown>>> = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < chunks.length; i = next++) {
      let pending = chunks[i]!.map((Item) => ({ PutRequest: { Item } }));
      while (pending.length > 0) {
        const result = await table.client.send(new BatchWriteCommand({ RequestItems: { [table.name]: pending } }));
        pending = (result.UnprocessedItems?.[table.name] ?? []) as typeof pending;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** Read capacity of a query over every certificate (the gsi1 listing), all pages. */
async function readAllCapacity(table: DynamoTable): Promise<{ items: number; capacity: number }> {
  let items = 0;
  let capacity = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const result = await table.client.send(
      new QueryCommand({
        TableName: table.name,
        IndexName: "gsi1",
        KeyConditionExpression: "gsi1pk = :pk",
        ExpressionAttributeValues: { ":pk": "CERTIFICATES" },
        ExclusiveStartKey: start,
        ReturnConsumedCapacity: "TOTAL",
      }),
    );
    items += result.Count ?? 0;
    capacity += result.ConsumedCapacity?.CapacityUnits ?? 0;
    start = result.LastEvaluatedKey;
  } while (start !== undefined);
  return { items, capacity };
}

/** Waits until every certificate of `ids` has a serial other than `before`'s and no step. */
async function renewed(repository: DynamoCertificateRepository, ids: number[], before: Map<number, string | null | undefined>, began: number): Promise<void> {
  const open = new Set(ids);
  while (open.size > 0) {
    if (performance.now() - began > DEADLINE_MS) throw new Error(`${open.size} renewals unfinished after ${seconds(DEADLINE_MS)}`);
    for (const certificate of await repository.getMany([...open])) {
      if (certificate.step !== null) continue; // Still running (an error meanwhile is a step being retried).
      if (certificate.serial !== before.get(certificate.id)) open.delete(certificate.id);
      else if (certificate.error) throw new Error(`certificate ${certificate.id} was not renewed: ${certificate.error}`);
    }
    if (open.size > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function measure(services: Services): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), "charon-bench-renewals-"));
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: services.dynamodb,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
  });
  const table = createDynamoTable(`bench-renewals-${randomBytes(4).toString("hex")}`);
  await ensureTable(table.client, table.name);
  const secrets = new LocalSecretStore({ dataDirectory: scratch, key: randomBytes(32) });
  const sequential = await compose(table, services, scratch, secrets, 1);
  const configured = await compose(table, services, scratch, secrets, CONFIGURED_CONCURRENCY);
  try {
    const app: AppServices = sequential.services;
    await app.settings.update(RENEWAL_ACTOR, { dns_polling_interval_seconds: 1 });
    const provider = await app.dnsProviders.create(
      { name: "PowerDNS", type: "powerdns", meta: { PDNS_API_URL: services.pdnsUrl, PDNS_API_KEY: services.pdnsKey } },
      RENEWAL_ACTOR,
    );
    const summary: Certificate["dns_provider"] = { id: provider.provider.id, type: "powerdns", name: "PowerDNS" };
    const credentialId = provider.provider.primaryCredentialId!;

    // The table: ids 1…10 000, every 50th due (200), the others due in 60 days, none with ARI.
    const now = new Date();
    const validity = { issuedAt: now, expiresAt: new Date(now.getTime() + 90 * 86_400_000) };
    const notDue = planRenewal(undefined, { kind: "issued", validity, renewalInfo: false }, now);
    const due = { ...notDue, renewal_due_at: new Date(now.getTime() - 60_000).toISOString() };
    const dueIds: number[] = [];
    const items = Array.from({ length: CERTIFICATES }, (_, i) => {
      const id = i + 1;
      const isDue = id % (CERTIFICATES / DUE) === 0;
      if (isDue) dueIds.push(id);
      return seeded(id, `c${id}.${ZONE}`, summary, credentialId, isDue ? due : notDue, now);
    });
    // The first sweep of a fresh install, on the empty table: it finds nothing stored without a
    // renewal schedule, so later sweeps (the one measured below) no longer look for such.
    await app.renewals!.sweep();
    const seedBegan = performance.now();
    await batchWrite(table, items);
    console.log(`seeded ${CERTIFICATES} certificates (${DUE} due) in ${seconds(performance.now() - seedBegan)}`);

    const index = new DynamoRenewalIndex(table, certificateFromItem);
    const found = await index.due(new Date());
    const all = await readAllCapacity(table);
    console.log(`sweep read ${found.length} certificates for ${index.readCapacity.toFixed(1)} RCU; reading all ${all.items}: ${all.capacity.toFixed(1)} RCU (${(all.capacity / Math.max(index.readCapacity, 0.5)).toFixed(0)}x more)`);
    if (found.length !== DUE) throw new Error(`the index filed ${found.length} certificates as due, not ${DUE}`);

    console.log(
      `Pebble validates after a random 0-${VALIDATION_SLEEP_SECONDS - 1} s (PEBBLE_VA_SLEEPTIME=${VALIDATION_SLEEP_SECONDS}, mean ${(VALIDATION_SLEEP_SECONDS - 1) / 2} s); ` +
        "PowerDNS answers at once (no propagation wait)",
    );
    const repository = new DynamoCertificateRepository(table);
    const serials = async () => new Map((await repository.getMany(dueIds)).map((c) => [c.id, c.serial]));

    // One at a time: each renewal opened once the previous one is stored and cleaned up.
    let before = await serials();
    const sequentialBegan = performance.now();
    for (const id of dueIds) {
      const certificate = (await repository.get(id))!;
      await sequential.services.issuer!.start(certificate, RENEWAL_ACTOR, {});
      await renewed(repository, [id], before, sequentialBegan);
    }
    const sequentialMs = performance.now() - sequentialBegan;
    console.log(`renewing ${DUE} one at a time (1 handler): ${seconds(sequentialMs)}`);

    // Due again, and one sweep at the configured concurrency.
    for (const id of dueIds) {
      const certificate = (await repository.get(id))!;
      const schedule = scheduleOf(certificate)!;
      await index.reschedule(id, certificate.serial!, { ...schedule, renewal_due_at: new Date(Date.now() - 60_000).toISOString(), renewal_info_check_at: null });
    }
    before = await serials();
    const concurrentBegan = performance.now();
    const sweep = await configured.services.renewals!.sweep();
    if (sweep.enqueued !== DUE) throw new Error(`the sweep enqueued ${sweep.enqueued} renewals, not ${DUE}: ${JSON.stringify(sweep)}`);
    await renewed(repository, dueIds, before, concurrentBegan);
    const concurrentMs = performance.now() - concurrentBegan;
    console.log(`renewing ${DUE} from one sweep ${JSON.stringify(sweep)} (${CONFIGURED_CONCURRENCY} handlers): ${seconds(concurrentMs)}`);
    console.log(`renewal speed-up over sequential: ${(sequentialMs / concurrentMs).toFixed(1)}x`);
  } finally {
    await Promise.allSettled([sequential.stop(), configured.stop()]);
    await rm(scratch, { recursive: true, force: true });
  }
}

benchTrustingPebble({ variable: SERVICES_VARIABLE, start, measure });
