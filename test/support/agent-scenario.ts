import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID, type X509Certificate } from "node:crypto";
import { once } from "node:events";
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { expect, inject } from "vitest";
import { freePort } from "@charon/local";
import { createPowerDnsZone } from "../harness/powerdns.js";
import { npmStart, type StartedServer } from "./npm-start.js";

/**
 * What the proxy agent's end-to-end scenarios share (issue 11): the API as `npm start` runs it
 * (certificates from the run's Pebble through its PowerDNS), two loopback upstreams that answer
 * with their name and the path asked for, a PowerDNS zone of the scenario's own, an agent token, and
 * the `charon-agent` command. The proxy (nginx, Caddy) is each scenario's.
 */
export const AGENT_COMMAND = join(process.cwd(), "packages/agent/bin/charon-agent.js");

export interface ApiAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON as the API answers it
  body: any;
}

export interface AgentScenario {
  api: StartedServer;
  /** Calls the API (`/api` + path) with the bootstrap token, or `token`. */
  call(method: string, path: string, body?: unknown, token?: string): Promise<ApiAnswer>;
  /** A token with the `agents` scope (write), as the agent runs with. */
  agentToken: string;
  /** A PowerDNS zone of this scenario (`<prefix>-<hex>.test`): names below it get certificates from Pebble. */
  zone: string;
  /** Upstream 1 and 2: each answers `upstream-N <path>`. */
  upstreams: { port: number; server: Server }[];
  /** A private directory for the agent's state, removed by `close()`. */
  work: string;
  /** Makes the API issue certificates through the run's PowerDNS; the DNS provider's id, for a host's `meta.dns_provider_id`. */
  powerDnsProvider(): Promise<number>;
  /** Pebble's root, the only CA a client trusts in these scenarios. */
  pebbleRoot(): Promise<string>;
  close(): Promise<void>;
}

/** Starts the API and the upstreams, creates the zone and the agent's token. */
export async function startAgentScenario(prefix: string): Promise<AgentScenario> {
  const bootstrapToken = `chrn_${randomBytes(24).toString("hex")}`;
  const zone = `${prefix}-${randomBytes(3).toString("hex")}.test`;
  const pdns = { url: inject("powerdnsApiUrl"), key: inject("powerdnsApiKey") };
  const upstreams: { port: number; server: Server }[] = [];
  for (const name of ["upstream-1", "upstream-2"]) {
    const server = createServer((req, res) => res.end(`${name} ${req.url}`));
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    upstreams.push({ port, server });
  }
  const work = await mkdtemp(join(tmpdir(), `charon-${prefix}-`));
  const api = await npmStart({
    PORT: String(await freePort()),
    CHARON_DATA_DIR: join(work, "api-data"),
    CHARON_TABLE_NAME: `agent-${randomUUID()}`,
    CHARON_BOOTSTRAP_TOKEN: bootstrapToken,
    // The harness's DynamoDB Local (AWS_ENDPOINT_URL_DYNAMODB is inherited): no second emulator.
    // Certificates from the run's Pebble, DNS-01 through its PowerDNS (on loopback).
    CHARON_ACME_DIRECTORY_URL: inject("pebbleDirectoryUrl"),
    CHARON_DNS_RESOLVERS: inject("powerdnsDnsAddress"),
    CHARON_OUTBOUND_ALLOW: "loopback",
  });
  const call = async (method: string, path: string, body?: unknown, token = bootstrapToken): Promise<ApiAnswer> => {
    const response = await fetch(`${api.origin}/api${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text === "" ? null : JSON.parse(text) };
  };
  await createPowerDnsZone({ endpoint: pdns.url, apiKey: pdns.key }, zone);
  const token = await call("POST", "/v1/tokens", { name: "edge agent", permission: "scoped", scopes: { agents: "write" }, expires_at: null });
  expect(token.status).toBe(201);
  return {
    api,
    call,
    agentToken: token.body.token,
    zone,
    upstreams,
    work,
    powerDnsProvider: async () => {
      expect((await call("PUT", "/v1/settings", { dns_polling_interval_seconds: 1 })).status).toBe(200);
      const provider = await call("POST", "/v1/dns-providers", { name: "PowerDNS", acme_dns_provider: "powerdns", meta: { PDNS_API_URL: pdns.url, PDNS_API_KEY: pdns.key } });
      expect(provider.status).toBe(201);
      return provider.body.id as number;
    },
    pebbleRoot: async () => (await fetch(`${inject("pebbleManagementUrl")}/roots/0`)).text(),
    close: async () => {
      await api.interrupt();
      await Promise.all(upstreams.map(({ server }) => new Promise((resolve) => server.close(resolve))));
      await rm(work, { recursive: true, force: true });
    },
  };
}

/** What the proxy answers over plain HTTP on `port` for `name`: `status body`, or null when it closes the connection. */
export function viaHttp(port: number, name: string, path = "/"): Promise<string | null> {
  return viaProxy(port, name, path).then((answer) => (answer ? `${answer.status} ${answer.body}` : null));
}

/** What the proxy answers over HTTPS on `port` for `name`, trusting only `ca`: `status body`, or null without a TLS answer. */
export function viaHttps(port: number, name: string, path: string, ca: string): Promise<string | null> {
  return viaProxy(port, name, path, ca).then((answer) => (answer ? `${answer.status} ${answer.body}` : null));
}

export interface ProxyAnswer {
  status: number;
  body: string;
  headers: IncomingMessage["headers"];
  /** The certificate served, over HTTPS. */
  certificate?: X509Certificate;
}

/**
 * A request for `name` as a browser sends it (SNI and Host), over HTTPS when `ca` is given, from
 * `localAddress` (a loopback address, 127.0.0.1 by default); null when no answer comes.
 */
export function viaProxy(port: number, name: string, path: string, ca?: string, localAddress = "127.0.0.1"): Promise<ProxyAnswer | null> {
  return new Promise((resolve) => {
    const options = { host: "127.0.0.1", port, path, localAddress, headers: { host: name }, agent: false as const };
    const callback = (response: IncomingMessage) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => {
        const certificate = ca ? (response.socket as TLSSocket).getPeerX509Certificate?.() : undefined;
        resolve({ status: response.statusCode ?? 0, body, headers: response.headers, ...(certificate ? { certificate } : {}) });
      });
    };
    const req = ca ? httpsRequest({ ...options, servername: name, ca }, callback) : request(options, callback);
    req.on("error", () => resolve(null));
    req.setTimeout(10_000, () => req.destroy(new Error("timed out")));
    req.end();
  });
}

/** Polls `probe` until it returns `expected`: the agent applies within its poll interval. */
export async function eventually<T>(probe: () => Promise<T>, expected: T, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (last !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await probe();
  }
  expect(last).toBe(expected);
}

export interface RunningAgent {
  child: ChildProcess;
  /** Everything it printed so far (JSON lines). */
  output(): string;
}

/** Runs `charon-agent` with `args`; the token comes through the environment, as a unit file gives it. */
export function runAgent(args: string[], env: NodeJS.ProcessEnv): RunningAgent {
  const child = spawn(process.execPath, [AGENT_COMMAND, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

export async function stopAgent(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
}
