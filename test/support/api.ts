import {
  resourceTypes,
  type Actor,
  type AuthFailureLimits,
  type Clock,
  type DnsChallengeDirectory,
  type KeySealer,
  type Principal,
  type ResourceType,
  type TokenRequest,
} from "@charon/core";
import type { DynamoTable } from "@charon/aws";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp, createServices, type App, type AppServices } from "@charon/api";
import { inject } from "vitest";
import { LocalKeySealer, LocalSecretStore } from "@charon/local";
import { freshTable } from "../harness/dynamodb.js";
import { cloudflareToken, startFakeCloudflare } from "../fakes/cloudflare/index.js";
import { fakeDnsDirectory, standardProviders } from "./dns-directory.js";
import { responseProblems, type OpenApiDocument } from "./openapi.js";
import { loopbackAllowed } from "./dns-app.js";

/** The Cloudflare API token the fake Cloudflare accepts (real DNS stack). */
export const FAKE_CLOUDFLARE_TOKEN = cloudflareToken();

export const silentLogger = { info() {}, warn() {}, error() {} };

const root: Principal = { tokenId: 0, name: "test", permission: "full", scopes: {} };
export const testActor: Actor = { user: "test", ipAddress: null, via: "test" };

/** The tokens of the authorisation matrix, by role. */
export interface TestTokens {
  full: string;
  read: string;
  /** A scoped token per resource type, with write access. */
  write: Record<ResourceType, string>;
  /** A scoped token per resource type, with read access. */
  readOnly: Record<ResourceType, string>;
}

export interface TestApi {
  app: App;
  table: DynamoTable;
  services: AppServices;
  tokens: TestTokens;
  issue(request: Partial<TokenRequest>): Promise<string>;
  call(method: string, path: string, options?: { token?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  /**
   * `call`, then the JSON body, checked against the schema /api/openapi.json declares for the
   * operation and status (a mismatch fails the test).
   */
  send(
    method: string,
    path: string,
    options?: { token?: string | null; body?: unknown; headers?: Record<string, string> },
    // Tests read fields of documented bodies freely; the schema check has already vetted them.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ): Promise<{ status: number; body: any; headers: Headers }>;
  /** With `issuance`: the sealer of certificates' private keys. */
  sealer?: KeySealer;
  /** Stops what the API started (the fake Cloudflare, the secret directory). */
  stop(): Promise<void>;
}

/**
 * A fresh table, the services and app on it, and a token per role. Certificates resolve DNS
 * providers through the small fake directory, or with `realDns` through the DNS-provider
 * services themselves (a local secret store and the fake Cloudflare).
 */
export async function testApi(
  options: {
    clock?: Clock;
    authFailureLimits?: AuthFailureLimits;
    dnsChallenges?: DnsChallengeDirectory;
    realDns?: boolean;
    /**
     * Issuance composed as in production (the run's Pebble; CNAME look-ups on PowerDNS) with a
     * local key sealer; its work queue keeps nothing, so orders are opened but never advanced.
     */
    issuance?: boolean;
  } = {},
): Promise<TestApi> {
  const table = await freshTable();
  const stops: Array<() => Promise<void>> = [];
  let dns: Partial<Parameters<typeof createServices>[0]>;
  if (options.realDns) {
    const directory = await mkdtemp(join(tmpdir(), "charon-secrets-"));
    const cloudflare = await startFakeCloudflare();
    cloudflare.state.addToken(FAKE_CLOUDFLARE_TOKEN);
    stops.push(cloudflare.stop, () => rm(directory, { recursive: true, force: true }));
    dns = {
      secrets: new LocalSecretStore({ dataDirectory: directory, key: randomBytes(32) }),
      dnsClientOptions: { endpoints: { cloudflare: cloudflare.url }, retries: 0 },
    };
  } else {
    dns = { dnsChallenges: options.dnsChallenges ?? (await fakeDnsDirectory(table, standardProviders)) };
  }
  const sealer = options.issuance
    ? new LocalKeySealer({ dataDirectory: await mkdtemp(join(tmpdir(), "charon-sealer-")), key: randomBytes(32) })
    : undefined;
  const services = createServices({
    table,
    ...dns,
    // The harness's PowerDNS is on loopback, which the outbound policy allows only when told to.
    dnsClientOptions: { outbound: loopbackAllowed, ...dns.dnsClientOptions },
    ...(sealer
      ? {
          workQueue: { send: async () => undefined },
          issuance: {
            sealer,
            logger: silentLogger,
            acme: { directoryUrl: inject("pebbleDirectoryUrl"), email: undefined },
            resolvers: inject("powerdnsDnsAddress"),
          },
        }
      : {}),
    clock: options.clock,
    authFailureLimits: options.authFailureLimits ?? { maxFailures: 1_000_000, windowSeconds: 60 },
  });
  const app = createApp({ services, logger: silentLogger });
  const issue = async (request: Partial<TokenRequest>) =>
    (
      await services.tokens.create(root, testActor, {
        name: "test",
        permission: "full",
        scopes: {},
        expiresAt: null,
        ...request,
      })
    ).value;
  const scoped = async (access: "read" | "write") =>
    Object.fromEntries(
      await Promise.all(resourceTypes.map(async (r) => [r, await issue({ permission: "scoped", scopes: { [r]: access } })])),
    ) as Record<ResourceType, string>;
  const tokens: TestTokens = {
    full: await issue({ permission: "full" }),
    read: await issue({ permission: "read" }),
    write: await scoped("write"),
    readOnly: await scoped("read"),
  };
  const call: TestApi["call"] = (method, path, { token = tokens.full, body, headers = {} } = {}) =>
    Promise.resolve(
      app.request(path, {
        method,
        headers: {
          ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body),
      }),
    );
  let document: OpenApiDocument | undefined;
  const send: TestApi["send"] = async (method, path, options) => {
    const response = await call(method, path, options);
    const text = await response.text();
    const body: unknown = text === "" ? undefined : JSON.parse(text);
    document ??= (await (await call("GET", "/api/openapi.json", { token: null })).json()) as OpenApiDocument;
    const problems = responseProblems(document, method, path, response.status, body);
    if (problems.length > 0) {
      throw new Error(`${method} ${path} → ${response.status} does not match the OpenAPI document:\n${problems.join("\n")}`);
    }
    return { status: response.status, body, headers: response.headers };
  };
  const stop = async () => {
    for (const step of stops) await step();
  };
  return { app, table, services, tokens, issue, call, send, stop, ...(sealer ? { sealer } : {}) };
}
