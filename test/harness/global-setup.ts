import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startDynamoDbLocal, type RunningService } from "@charon/local";
import { buildAgent } from "../../packages/agent/scripts/build.js";
import { startMoto } from "./moto.js";
import { startPebble } from "./pebble.js";
import { startPowerDns } from "./powerdns.js";

declare module "vitest" {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    /** moto: Secrets Manager, Route 53, SQS and KMS. */
    motoEndpoint: string;
    /** PowerDNS Authoritative's HTTP API (the DNS adapters' `api_url`) and its key. */
    powerdnsApiUrl: string;
    powerdnsApiKey: string;
    /** PowerDNS's DNS service, `127.0.0.1:<port>` (UDP and TCP): `CHARON_DNS_RESOLVERS`, Pebble's `-dnsserver`. */
    powerdnsDnsAddress: string;
    /** Pebble's ACME directory URL (its HTTPS is trusted through NODE_EXTRA_CA_CERTS). */
    pebbleDirectoryUrl: string;
    /** Pebble's management API (`/roots/0`: the root issued chains verify to). */
    pebbleManagementUrl: string;
  }
}

/**
 * Starts each emulator once for the whole run, on free loopback ports, and stops them at the
 * end. A missing prerequisite fails here with one message saying what to install.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Every temporary directory of the run (secret stores, data directories, curl homes, the
  // emulators' own) is made below one, which goes when the run ends: os.tmpdir() reads TMPDIR,
  // and the test workers and the processes they start inherit it.
  const scratch = await mkdtemp(join(tmpdir(), "charon-test-run-"));
  process.env.TMPDIR = scratch;
  const services: RunningService[] = [];
  const stopAll = async () => {
    await Promise.all(services.map((s) => s.stop()));
    await rm(scratch, { recursive: true, force: true });
  };
  // Started side by side; allSettled (not all) so a service still starting when another fails
  // is stopped too, and every missing prerequisite is reported in one go.
  const powerdnsStarted = startPowerDns();
  const started = await Promise.allSettled([
    // The e2e tests run charon-agent as it ships: bundled (packages/agent/bin).
    buildAgent(),
    startDynamoDbLocal().then((dynamodb) => {
      services.push(dynamodb);
      project.provide("dynamodbEndpoint", dynamodb.endpoint);
    }),
    startMoto().then((moto) => {
      services.push(moto);
      project.provide("motoEndpoint", moto.endpoint);
    }),
    powerdnsStarted.then((powerdns) => {
      services.push(powerdns);
      project.provide("powerdnsApiUrl", powerdns.endpoint);
      project.provide("powerdnsApiKey", powerdns.apiKey);
      project.provide("powerdnsDnsAddress", `127.0.0.1:${powerdns.dnsPort}`);
    }),
    // Pebble validates DNS-01 challenges by asking PowerDNS directly.
    powerdnsStarted.then(async (powerdns) => {
      const pebble = await startPebble({ dnsServer: `127.0.0.1:${powerdns.dnsPort}` });
      services.push(pebble);
      project.provide("pebbleDirectoryUrl", pebble.directoryUrl);
      project.provide("pebbleManagementUrl", pebble.managementUrl);
      // Read by Node at start-up: the test workers and every process they start trust Pebble.
      process.env.NODE_EXTRA_CA_CERTS = pebble.tlsRootFile;
    }),
  ]);
  // A PowerDNS failure also fails Pebble's start: report it once.
  const failures = [...new Set(started.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : [])))];
  if (failures.length > 0) {
    await stopAll();
    if (failures.length === 1) throw failures[0];
    const messages = failures.map((f) => (f instanceof Error ? f.message : String(f)));
    throw new Error(messages.join("\n\n"), { cause: failures[0] });
  }
  return stopAll;
}
