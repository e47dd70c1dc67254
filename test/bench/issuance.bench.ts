/**
 * `npm run bench:issuance` (issue 9, "Measured"): Charon against lego, issuing the same
 * certificates from the same Pebble with DNS-01 values on the same PowerDNS.
 *
 * Starts PowerDNS and Pebble as the test harness does (`test/harness/*`), creates one PowerDNS zone
 * per certificate (`bN.example.test`), then:
 * - Charon: `@charon/runtime/local` (what `npm start` runs: embedded DynamoDB Local, the local
 *   secret store and the in-process work queue) served over HTTP; 50 certificates (apex +
 *   wildcard each) requested through `POST /api/nginx/certificates` at once, `GET` polled until
 *   each is `active` with its TXT values removed (`step` null), then one more certificate alone;
 * - lego (Debian's `lego`, `--dns pdns`): the same 50, one `lego run` after another as a user's
 *   shell script runs them, then the extra one alone.
 * Busy time is the time spent inside calls of the work handler the runtime's queue runs (what
 * Lambda bills per invocation); delayed messages waiting in the queue are not inside a call.
 * Prints both wall times, both one-certificate latencies, busy time per certificate, and last
 * `charon/lego wall time for 50 certificates: <ratio>x`. Targets: ratio ≤ 0.2, latency ≤ 1.2x
 * lego's, busy ≤ 3 s per certificate.
 *
 * It runs twice, the second time trusting Pebble's TLS CA (`trusting-pebble.ts`).
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { serve } from "@hono/node-server";
import type { WorkHandler } from "@charon/core";
import { createApp } from "@charon/api";
import { InProcessWorkQueue, type RunningService } from "@charon/local";
import { readLocalConfig } from "@charon/runtime";
import { startLocalRuntime } from "@charon/runtime/local";
import { startPebble } from "../harness/pebble.js";
import { createPowerDnsZone, startPowerDns } from "../harness/powerdns.js";
import { benchTrustingPebble } from "./trusting-pebble.js";
import { jsonApi } from "./json-api.js";

const CERTIFICATES = 50;
/** The user-facing setting both tools are given (Charon's default is 5 s, lego's pdns default 2 s). */
const POLLING_INTERVAL_SECONDS = 1;
const PROPAGATION_TIMEOUT_SECONDS = 60;
/** How long the whole Charon batch may take before the bench gives up. */
const CHARON_DEADLINE_MS = 15 * 60_000;
const LEGO = "lego";
const SERVICES_VARIABLE = "CHARON_BENCH_ISSUANCE_SERVICES";

interface Services {
  pdnsUrl: string;
  pdnsKey: string;
  /** `127.0.0.1:<port>`: PowerDNS's DNS service. */
  dnsAddress: string;
  directoryUrl: string;
  tlsRootFile: string;
}

const names = (n: number) => [`b${n}.example.test`, `*.b${n}.example.test`];
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function legoMissing(): boolean {
  const probe = spawnSync(LEGO, ["--version"], { stdio: "ignore" });
  return probe.error !== undefined || probe.status !== 0;
}

/** First process: the services, the zones, then this script again trusting Pebble. */
/** Starts PowerDNS with one zone per certificate (and lego's), and Pebble validating against it. */
async function start(started: RunningService[]): Promise<{ services: Services; tlsRootFile: string }> {
  if (legoMissing()) throw new Error("bench:issuance compares against lego, which is not on the PATH: apt-get install lego");
  const powerdns = await startPowerDns();
  started.push(powerdns);
  const dnsAddress = `127.0.0.1:${powerdns.dnsPort}`;
  const pebble = await startPebble({ dnsServer: dnsAddress });
  started.push(pebble);
  for (let n = 1; n <= CERTIFICATES + 1; n++) await createPowerDnsZone(powerdns, `b${n}.example.test`);
  const services = { pdnsUrl: powerdns.endpoint, pdnsKey: powerdns.apiKey, dnsAddress, directoryUrl: pebble.directoryUrl, tlsRootFile: pebble.tlsRootFile };
  return { services, tlsRootFile: pebble.tlsRootFile };
}

async function measure(services: Services): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), "charon-bench-issuance-"));
  // The handler the runtime's queue runs, wrapped: time inside each call is busy time.
  let busyMs = 0;
  const start: (this: InProcessWorkQueue, handler: WorkHandler) => void = InProcessWorkQueue.prototype.start;
  InProcessWorkQueue.prototype.start = function (this: InProcessWorkQueue, handler: WorkHandler) {
    start.call(this, async (message) => {
      const began = performance.now();
      try {
        await handler(message);
      } finally {
        busyMs += performance.now() - began;
      }
    });
  };
  const token = `chrn_${randomBytes(24).toString("hex")}`;
  Object.assign(process.env, {
    CHARON_DATA_DIR: join(scratch, "charon"),
    CHARON_BOOTSTRAP_TOKEN: token,
    CHARON_ACME_DIRECTORY_URL: services.directoryUrl,
    CHARON_ACME_EMAIL: "bench@example.test",
    CHARON_DNS_RESOLVERS: services.dnsAddress,
    CHARON_OUTBOUND_ALLOW: "loopback",
    // A local PowerDNS has no API rate limit to respect: all 50 orders may write at once, as a
    // deployment on its own PowerDNS would configure it (the default, 10, is for hosted APIs).
    CHARON_DNS_PROVIDER_CONCURRENCY: "50",
  });
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  // Warnings and errors (a failed order says why) on stderr; the per-step info lines are not shown.
  const logger = {
    info() {},
    warn: (message: string, ...extra: Array<Record<string, unknown>>) => console.error("warn:", message, JSON.stringify(extra)),
    error: (message: string, ...extra: Array<Record<string, unknown>>) => console.error("error:", message, JSON.stringify(extra)),
  };
  const runtime = await startLocalRuntime(readLocalConfig(), logger);
  const app = createApp({ services: runtime.services, logger });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const listening = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(listening));
  });
  let interrupted = false;
  const interrupt = () => {
    interrupted = true;
  };
  process.once("SIGTERM", interrupt);
  process.once("SIGINT", interrupt);
  try {
    const address = server.address();
    const base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/api`;
    const api = jsonApi<Record<string, unknown> & { id: number }>(base, token);
    await api("PUT", "/v1/settings", {
      dns_polling_interval_seconds: POLLING_INTERVAL_SECONDS,
      dns_propagation_timeout_seconds: PROPAGATION_TIMEOUT_SECONDS,
    });
    const provider = await api("POST", "/v1/dns-providers", {
      name: "PowerDNS",
      acme_dns_provider: "powerdns",
      meta: { PDNS_API_URL: services.pdnsUrl, PDNS_API_KEY: services.pdnsKey },
    });

    /** Requests the certificates at once, then polls each until active with its values removed. */
    const charon = async (numbers: number[]): Promise<number> => {
      const began = performance.now();
      const ids = await Promise.all(
        numbers.map(async (n) => {
          const created = await api("POST", "/nginx/certificates", {
            provider: "letsencrypt",
            domain_names: names(n),
            meta: { dns_challenge: true, dns_provider_id: provider.id },
          });
          return created.id;
        }),
      );
      const open = new Set(ids);
      while (open.size > 0) {
        if (interrupted) throw new Error("interrupted");
        if (performance.now() - began > CHARON_DEADLINE_MS) throw new Error(`${open.size} certificates still pending after ${seconds(CHARON_DEADLINE_MS)}`);
        for (const id of [...open]) {
          const certificate = await api("GET", `/nginx/certificates/${id}`);
          if (certificate.status === "pending") continue;
          if (certificate.status !== "active") throw new Error(`certificate ${id} ended ${String(certificate.status)}: ${JSON.stringify(certificate.error)}`);
          if (certificate.step === null) open.delete(id);
        }
        if (open.size > 0) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      return performance.now() - began;
    };

    const legoEnv = {
      ...process.env,
      PDNS_API_URL: services.pdnsUrl,
      PDNS_API_KEY: services.pdnsKey,
      PDNS_PROPAGATION_TIMEOUT: String(PROPAGATION_TIMEOUT_SECONDS),
      PDNS_POLLING_INTERVAL: String(POLLING_INTERVAL_SECONDS),
      LEGO_CA_CERTIFICATES: services.tlsRootFile,
    };
    /** `lego run` once per certificate, one after another. */
    const lego = async (numbers: number[]): Promise<number> => {
      const began = performance.now();
      for (const n of numbers) {
        if (interrupted) throw new Error("interrupted");
        const child = spawn(
          LEGO,
          [
            "--accept-tos",
            "--email", "bench@example.test",
            "--server", services.directoryUrl,
            "--path", join(scratch, "lego"),
            "--dns", "pdns",
            "--dns.resolvers", services.dnsAddress,
            // lego asks each authoritative server on port 53; PowerDNS answers on a free loopback
            // port, so only the check through --dns.resolvers runs (less work than Charon's).
            "--dns.disable-cp",
            ...names(n).flatMap((name) => ["--domains", name]),
            "run",
          ],
          { env: legoEnv, stdio: ["ignore", "pipe", "pipe"] },
        );
        let output = "";
        child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
        const [code] = (await once(child, "exit")) as [number | null];
        if (code !== 0) throw new Error(`lego failed for ${names(n).join(", ")} (exit ${code}):\n${output}`);
      }
      return performance.now() - began;
    };

    const all = Array.from({ length: CERTIFICATES }, (_, i) => i + 1);
    const single = CERTIFICATES + 1;
    const charonAll = await charon(all);
    const busyAll = busyMs;
    const legoAll = await lego(all);
    busyMs = 0;
    const charonOne = await charon([single]);
    const busyOne = busyMs;
    const legoOne = await lego([single]);

    console.log(`(both tools: DNS polling interval ${POLLING_INTERVAL_SECONDS} s, set as a user sets it: Charon's dns_polling_interval_seconds, lego's PDNS_POLLING_INTERVAL; lego with --dns.disable-cp)`);
    console.log(`charon wall time for ${CERTIFICATES} certificates: ${seconds(charonAll)}`);
    console.log(`lego wall time for ${CERTIFICATES} certificates (sequential): ${seconds(legoAll)}`);
    console.log(`one-certificate latency: charon ${seconds(charonOne)}, lego ${seconds(legoOne)} (${(charonOne / legoOne).toFixed(2)}x)`);
    console.log(
      `worker busy time per certificate: ${seconds(busyAll / CERTIFICATES)} over the ${CERTIFICATES} (handlers sharing 2 cores), ${seconds(busyOne)} for the one alone`,
    );
    console.log(`charon/lego wall time for ${CERTIFICATES} certificates: ${(charonAll / legoAll).toFixed(3)}x`);
  } finally {
    server.close();
    await runtime.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

benchTrustingPebble({ variable: SERVICES_VARIABLE, start, measure });
