import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock, SecretStore } from "@charon/core";
import type { DynamoTable } from "@charon/aws";
import type { DnsClientOptions } from "@charon/dns";
import { LocalSecretStore } from "@charon/local";
import { createOutboundPolicy } from "@charon/outbound";
import { createApp, createServices, type App, type AppServices } from "@charon/api";
import { freshTable } from "../harness/dynamodb.js";

/** The outbound policy of a deployment with CHARON_OUTBOUND_ALLOW=loopback. */
export const loopbackAllowed = createOutboundPolicy({ loopback: true });

/** A logger that keeps every line, so tests can read (and scan) what was logged. */
export function capturingLogger() {
  const lines: string[] = [];
  const record = (level: string) => (message: string, ...extra: Array<Record<string, unknown>>) => {
    lines.push(JSON.stringify({ level, message, extra }, (_key, value: unknown) => (value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value)));
  };
  return { lines, logger: { info: record("info"), warn: record("warn"), error: record("error") } };
}

/** A local encrypted secret store in a fresh temporary directory. */
export async function temporarySecretStore(): Promise<LocalSecretStore> {
  return new LocalSecretStore({ dataDirectory: await mkdtemp(join(tmpdir(), "charon-secrets-")), key: randomBytes(32) });
}

/**
 * Counts DynamoDB requests by command name (GetItemCommand, QueryCommand, …) through an SDK
 * middleware on the table's client; `reads()` sums the read operations. The bearer token's
 * lookup (`TOKEN#…`), which every authenticated request makes before the route runs, is
 * counted apart as `authentication`: the budgets are about what a route reads.
 */
export function countRequests(table: DynamoTable) {
  const counts = new Map<string, number>();
  table.client.middlewareStack.add(
    (next, context) => (args) => {
      const key = (args.input as { Key?: { pk?: unknown } }).Key;
      const name = typeof key?.pk === "string" && key.pk.startsWith("TOKEN#") ? "authentication" : (context.commandName ?? "unknown");
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: "initialize", name: `requestCounter-${randomBytes(4).toString("hex")}` },
  );
  const READS = ["GetItemCommand", "BatchGetItemCommand", "QueryCommand", "ScanCommand"];
  return {
    reset: () => counts.clear(),
    reads: () => READS.reduce((sum, name) => sum + (counts.get(name) ?? 0), 0),
    counts,
  };
}

/** A parsed JSON body; tests assert on it field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies of many shapes
export type JsonBody = any;

export interface DnsTestApp {
  app: App;
  table: DynamoTable;
  services: AppServices;
  secrets: SecretStore;
  token: string;
  logLines: string[];
  /** A request through the app (Hono's in-process `app.request`), body parsed when JSON. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: JsonBody; text: string; headers: Headers }>;
}

/** The whole app on a fresh table, with a full-access token, for the DNS-provider tests. */
export async function dnsTestApp(
  options: { secrets?: SecretStore; clock?: Clock; dnsClientOptions?: DnsClientOptions; table?: DynamoTable } = {},
): Promise<DnsTestApp> {
  const table = options.table ?? (await freshTable());
  const secrets = options.secrets ?? (await temporarySecretStore());
  const services = createServices({
    table,
    secrets,
    clock: options.clock,
    // The harness's PowerDNS is on loopback, which the outbound policy allows only when told to.
    dnsClientOptions: { timeoutMs: 2_000, retries: 0, outbound: loopbackAllowed, ...options.dnsClientOptions },
    authFailureLimits: { maxFailures: 1_000_000, windowSeconds: 60 },
  });
  const { lines, logger } = capturingLogger();
  const app = createApp({ services, logger });
  const token = `chrn_${randomBytes(24).toString("hex")}`;
  await services.tokens.ensureBootstrapToken(token);
  const call: DnsTestApp["call"] = async (method, path, body, headers = {}) => {
    const response = await app.request(path, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    const type = response.headers.get("content-type") ?? "";
    return { status: response.status, body: type.includes("json") && text ? JSON.parse(text) : text, text, headers: response.headers };
  };
  return { app, table, services, secrets, token, logLines: lines, call };
}

/** A clock tests move by hand. */
export function manualClock(start = new Date("2026-01-04T15:30:00.000Z")) {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** Every credential secret name in the store. */
export async function storedSecretNames(secrets: SecretStore): Promise<string[]> {
  const names: string[] = [];
  for await (const secret of secrets.list("dns-credentials/")) names.push(secret.name);
  return names.sort();
}
