import {
  resourceTypes,
  type Actor,
  type AuthFailureLimits,
  type Clock,
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
  /**
   * Signs in with a token (`POST /api/v1/sessions`): the headers a browser of the API's own
   * origin would then send (the cookie; `withCsrf` adds `X-CSRF-Token`), for `call`'s `headers`
   * with `token: null`.
   */
  signIn(token: string): Promise<SignedIn>;
  /** With `issuance`: the sealer of certificates' private keys. */
  sealer?: KeySealer;
  /** Stops what the API started (the fake Cloudflare, the secret directory). */
  stop(): Promise<void>;
  /** The standard DNS providers' ids; undefined with `standardDns: false`. */
  dns: StandardDns | undefined;
}

export interface SignedIn {
  /** `{ Cookie: "charon_session=…" }`. */
  cookie: Record<string, string>;
  /** The cookie and `X-CSRF-Token`. */
  withCsrf: Record<string, string>;
  csrfToken: string;
  /** The `Set-Cookie` header as answered. */
  setCookie: string;
}

/**
 * The DNS providers a test API starts with, made through the API itself, so that certificates
 * and hosts choose credentials by the real selection (the DNS-provider services over the
 * table). Ids are the ones the server allocated.
 */
export interface StandardDns {
  /** "Cloudflare Production", multi-credential: "Customer A" (customer-a.com) and "Production" (catch-all). */
  cloudflare: { id: number; customerA: number; production: number };
  /** Two Route 53 providers, so that a type alone is ambiguous: "AWS main" ("Main"), "AWS legacy" ("Legacy"). */
  route53Main: { id: number; main: number };
  route53Legacy: { id: number; legacy: number };
}

/**
 * A fresh table, the services and app on it, and a token per role. DNS providers are real: the
 * DNS-provider services with a local secret store and the fake Cloudflare; the standard ones
 * (`StandardDns`) exist unless `standardDns: false`.
 */
export async function testApi(
  options: {
    clock?: Clock;
    authFailureLimits?: AuthFailureLimits;
    sessionLifetimeSeconds?: number;
    standardDns?: boolean;
    /**
     * Issuance composed as in production (the run's Pebble; CNAME look-ups on PowerDNS) with a
     * local key sealer; its work queue keeps nothing, so orders are opened but never advanced.
     */
    issuance?: boolean;
  } = {},
): Promise<TestApi> {
  const table = await freshTable();
  const stops: Array<() => Promise<void>> = [];
  const directory = await mkdtemp(join(tmpdir(), "charon-secrets-"));
  const cloudflare = await startFakeCloudflare();
  cloudflare.state.addToken(FAKE_CLOUDFLARE_TOKEN);
  stops.push(cloudflare.stop, () => rm(directory, { recursive: true, force: true }));
  const dns = {
    secrets: new LocalSecretStore({ dataDirectory: directory, key: randomBytes(32) }),
    dnsClientOptions: { endpoints: { cloudflare: cloudflare.url }, retries: 0 },
  };
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
    ...(options.sessionLifetimeSeconds === undefined ? {} : { sessionLifetimeSeconds: options.sessionLifetimeSeconds }),
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
  const signIn = async (token: string): Promise<SignedIn> => {
    const response = await call("POST", "/api/v1/sessions", { token: null, body: { token } });
    const body = (await response.json()) as { csrf_token: string };
    if (response.status !== 201) throw new Error(`sign-in → ${response.status}: ${JSON.stringify(body)}`);
    const setCookie = response.headers.get("set-cookie") ?? "";
    const cookie = { Cookie: setCookie.split(";")[0]! };
    return { cookie, withCsrf: { ...cookie, "X-CSRF-Token": body.csrf_token }, csrfToken: body.csrf_token, setCookie };
  };
  const stop = async () => {
    for (const step of stops) await step();
  };
  const dnsProviders = options.standardDns === false ? undefined : await standardDns(call);
  return { app, table, services, tokens, issue, call, send, signIn, stop, dns: dnsProviders, ...(sealer ? { sealer } : {}) };
}

/** Creates the `StandardDns` providers and credentials through the API. */
async function standardDns(call: TestApi["call"]): Promise<StandardDns> {
  const ok = async (method: string, path: string, body?: unknown) => {
    const response = await call(method, path, { body });
    const answer = (await response.json()) as { id: number; migrated_credential?: { id: number } };
    if (response.status >= 300) throw new Error(`${method} ${path} → ${response.status}: ${JSON.stringify(answer)}`);
    return answer;
  };
  const provider = async (name: string, type: string, meta: Record<string, string>) =>
    (await ok("POST", "/api/nginx/dns-providers", { name, acme_dns_provider: type, meta })).id;
  /** Multi-credential mode; the migrated primary (the catch-all) renamed. */
  const multiCredential = async (providerId: number, primaryName: string) => {
    const primary = (await ok("POST", `/api/v1/dns-providers/${providerId}/enable-multi-credential`)).migrated_credential!.id;
    await ok("PATCH", `/api/v1/dns-providers/${providerId}/credentials/${primary}`, { name: primaryName });
    return primary;
  };
  const aws = { AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };

  const cloudflare = await provider("Cloudflare Production", "cloudflare", { CF_API_TOKEN: FAKE_CLOUDFLARE_TOKEN });
  const production = await multiCredential(cloudflare, "Production");
  const customerA = (
    await ok("POST", `/api/v1/dns-providers/${cloudflare}/credentials`, {
      name: "Customer A",
      zone_filter: "customer-a.com",
      credentials: { api_token: FAKE_CLOUDFLARE_TOKEN },
    })
  ).id;
  const route53Main = await provider("AWS main", "route53", aws);
  const main = await multiCredential(route53Main, "Main");
  const route53Legacy = await provider("AWS legacy", "route53", aws);
  const legacy = await multiCredential(route53Legacy, "Legacy");
  return {
    cloudflare: { id: cloudflare, customerA, production },
    route53Main: { id: route53Main, main },
    route53Legacy: { id: route53Legacy, legacy },
  };
}
