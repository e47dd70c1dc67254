/**
 * `npm run bench:api`: what the HTTP API adds on top of the DynamoDB reads it makes.
 *
 * Starts its own DynamoDB Local and the app on `@hono/node-server` (as `npm start` does), creates
 * a DNS provider with 1 000 credentials through the API, then measures, request by request:
 * - list credentials, page by page as the API pages (100 a page: 10 pages a listing);
 * - `GET …/match?domain=…` 10 000 times, over names that hit wildcards, exact patterns and the
 *   catch-all.
 * Each API call is followed by the same DynamoDB reads issued directly through the SDK (the
 * bearer token's lookup, then the route's reads, parallel where the route runs them in
 * parallel): the storage floor. It prints p50/p99 of both, and last the line
 * `api/storage p50 ratio: <x>x` — the larger of the two operations' ratios. Target ≤ 1.5x.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { serve } from "@hono/node-server";
import { hashToken } from "@charon/core";
import { createDynamoTable, ensureTable, type Key } from "@charon/aws";
import { LocalSecretStore, startDynamoDbLocal } from "@charon/local";
import { probeKeys } from "@charon/zones";
import { createApp, createServices } from "@charon/api";
import { jsonApi } from "./json-api.js";

const CREDENTIALS = 1_000;
const PAGE = 100;
const LISTINGS = 100; // 1 000 page requests
const MATCHES = 10_000;
const WARM_UP = 300;

const silent = { info() {}, warn() {}, error() {} };

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function time<T>(work: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const result = await work();
  return [performance.now() - start, result];
}

async function main(): Promise<void> {
  const dynamodb = await startDynamoDbLocal();
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamodb.endpoint;
  process.env.AWS_REGION ??= "us-east-1";
  process.env.AWS_ACCESS_KEY_ID ??= "local";
  process.env.AWS_SECRET_ACCESS_KEY ??= "local";
  const table = createDynamoTable(`bench-${randomBytes(4).toString("hex")}`);
  await ensureTable(table.client, table.name);
  const secrets = new LocalSecretStore({ dataDirectory: await mkdtemp(join(tmpdir(), "charon-bench-")), key: randomBytes(32) });
  const services = createServices({ table, secrets });
  const token = `chrn_${randomBytes(24).toString("hex")}`;
  await services.tokens.ensureBootstrapToken(token);
  const app = createApp({ services, logger: silent });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(started));
  });
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/api`;
  const api = jsonApi<{ id: number; next_cursor?: string | null; credential?: unknown }>(base, token);

  try {
    process.stdout.write(`setting up: a provider with ${CREDENTIALS} credentials… `);
    const setup = performance.now();
    const provider = await api("POST", "/v1/dns-providers", { name: "Bench", acme_dns_provider: "cloudflare", meta: { CF_API_TOKEN: "bench-primary" } });
    await api("POST", `/v1/dns-providers/${provider.id}/enable-multi-credential`);
    for (let i = 1; i < CREDENTIALS; i++) {
      await api("POST", `/v1/dns-providers/${provider.id}/credentials`, {
        name: `Customer ${i}`,
        zone_filter: `*.customer-${i}.com,customer-${i}.net`,
        credentials: { api_token: `bench-token-${i}` },
      });
    }
    console.log(`${((performance.now() - setup) / 1000).toFixed(1)} s`);

    // The storage floor: the keys and queries of packages/aws/README.md ("DynamoDB table").
    const partition = `PROVIDER#${provider.id}`;
    const tokenKey: Key = { pk: `TOKEN#${hashToken(token)}`, sk: "TOKEN" };
    const storage = {
      listPage: async (cursor: string | undefined) => {
        await table.get(tokenKey);
        const [, page] = await Promise.all([
          table.get({ pk: partition, sk: "PROVIDER" }),
          table.queryPage({ partition, prefix: "CREDENTIAL#", limit: PAGE, cursor }, (item) => item),
        ]);
        return page.cursor;
      },
      match: async (domain: string) => {
        await table.get(tokenKey);
        const keys = [{ pk: partition, sk: "PROVIDER" }, { pk: partition, sk: "CLAIM#CATCHALL" }, ...probeKeys(domain).map((p) => ({ pk: partition, sk: `CLAIM#PATTERN#${p}` }))];
        await table.batchGet([...new Map(keys.map((k) => [k.sk, k])).values()]);
      },
    };

    const domains = Array.from({ length: MATCHES }, (_, i) => {
      const n = (i % (CREDENTIALS - 1)) + 1;
      return [`shop.customer-${n}.com`, `api.customer-${n}.net`, `www.unmatched-${n}.org`][i % 3]!;
    });
    const listing = { api: [] as number[], storage: [] as number[] };
    const matching = { api: [] as number[], storage: [] as number[] };

    const listOnce = async (record: boolean) => {
      let cursor: string | undefined;
      let storageCursor: string | undefined;
      let pages = 0;
      do {
        const [apiMs, page] = await time(() => api("GET", `/v1/dns-providers/${provider.id}/credentials?limit=${PAGE}${cursor ? `&cursor=${cursor}` : ""}`));
        const [storageMs, next] = await time(() => storage.listPage(storageCursor));
        if (record) {
          listing.api.push(apiMs);
          listing.storage.push(storageMs);
        }
        cursor = page.next_cursor ?? undefined;
        storageCursor = next;
        pages++;
      } while (cursor);
      if (pages !== CREDENTIALS / PAGE) throw new Error(`expected ${CREDENTIALS / PAGE} pages, got ${pages}`);
    };
    const matchOnce = async (domain: string, record: boolean) => {
      const [apiMs, answer] = await time(() => api("GET", `/v1/dns-providers/${provider.id}/match?domain=${domain}`));
      if (!answer.credential) throw new Error(`no credential for ${domain}`);
      const [storageMs] = await time(() => storage.match(domain));
      if (record) {
        matching.api.push(apiMs);
        matching.storage.push(storageMs);
      }
    };

    for (let i = 0; i < WARM_UP / 10; i++) await listOnce(false);
    for (let i = 0; i < WARM_UP; i++) await matchOnce(domains[i]!, false);
    for (let i = 0; i < LISTINGS; i++) await listOnce(true);
    for (const domain of domains) await matchOnce(domain, true);

    const ratios: number[] = [];
    for (const [label, samples] of [
      [`list credentials (${listing.api.length} pages of ${PAGE})`, listing],
      [`/match (${matching.api.length} requests)`, matching],
    ] as const) {
      const ratio = percentile(samples.api, 50) / percentile(samples.storage, 50);
      ratios.push(ratio);
      console.log(
        `${label}: api p50 ${percentile(samples.api, 50).toFixed(2)} ms, p99 ${percentile(samples.api, 99).toFixed(2)} ms; ` +
          `storage p50 ${percentile(samples.storage, 50).toFixed(2)} ms, p99 ${percentile(samples.storage, 99).toFixed(2)} ms; ` +
          `ratio ${ratio.toFixed(2)}x`,
      );
    }
    console.log(`api/storage p50 ratio: ${Math.max(...ratios).toFixed(2)}x`);
  } finally {
    server.close();
    await dynamodb.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
