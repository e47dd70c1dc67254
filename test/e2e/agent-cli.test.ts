import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, request, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort, type RunningService } from "@charon/local";
import { nginxBinary, nginxWorkerUser, startNginx } from "../harness/nginx.js";
import { npmStart, type StartedServer } from "../support/npm-start.js";

/**
 * Issue 11 end to end: the API as `npm start` runs it (certificates from the run's Pebble through
 * its PowerDNS), the `charon-agent` command polling it every second, Debian's nginx serving what
 * the agent applied, two loopback upstreams. Changes made through the API reach nginx without a
 * manual step; the agent's reports come back to the API; a certificate's key reaches nginx sealed
 * to the agent's approved key; with the API gone nginx keeps serving, and a restarted agent
 * applies its cached snapshot.
 */
const bootstrapToken = `chrn_${randomBytes(24).toString("hex")}`;
const zone = `agent-${randomBytes(3).toString("hex")}.test`;
const pdns = { url: inject("powerdnsApiUrl"), key: inject("powerdnsApiKey") };
const AGENT = join(process.cwd(), "packages/agent/bin/charon-agent.js");

let api: StartedServer;
let nginx: RunningService | undefined;
let agentToken: string;
let work: string;
let ports: { http: number; https: number };
const upstreams: { port: number; server: Server }[] = [];
const agents: ChildProcess[] = [];

async function call(method: string, path: string, body?: unknown, token = bootstrapToken) {
  const response = await fetch(`${api.origin}/api${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? null : JSON.parse(text) };
}

/** What nginx answers for `name` (null: it closed the connection, no host serves the name). */
function viaNginx(name: string, path = "/"): Promise<string | null> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port: ports.http, path, headers: { host: name }, agent: false }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve(`${response.statusCode} ${body}`));
    });
    req.on("error", () => resolve(null));
    req.end();
  });
}

/** What nginx answers over HTTPS for `name`, trusting only `ca` (null: no TLS answer). */
function viaNginxTls(name: string, path: string, ca: string): Promise<string | null> {
  return new Promise((resolve) => {
    const req = httpsRequest({ host: "127.0.0.1", port: ports.https, path, servername: name, headers: { host: name }, ca, agent: false }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve(`${response.statusCode} ${body}`));
    });
    req.on("error", () => resolve(null));
    req.end();
  });
}

/** Polls `probe` until it returns `expected`: the agent applies within its poll interval. */
async function eventually<T>(probe: () => Promise<T>, expected: T, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (last !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await probe();
  }
  expect(last).toBe(expected);
}

function agentArgs(stateDir: string, confDir: string): string[] {
  const [dnsHost, dnsPort] = inject("powerdnsDnsAddress").split(":");
  return [
    AGENT,
    "--api-url", `${api.origin}/api`,
    "--agent-id", "edge-e2e",
    "--state-dir", stateDir,
    "--nginx-conf-dir", confDir,
    "--listen", "127.0.0.1",
    "--http-port", String(ports.http),
    "--https-port", String(ports.https),
    "--resolver", `${dnsHost}:${dnsPort}`,
    "--interval", "1",
    ...(nginxWorkerUser() ? ["--nginx-user", nginxWorkerUser()!] : []),
  ];
}

/** Runs the agent command; the token comes through the environment, as a unit file would give it. */
async function runAgent(args: string[]): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, CHARON_AGENT_TOKEN: agentToken, CHARON_AGENT_NGINX_BIN: await nginxBinary() },
    stdio: ["ignore", "pipe", "pipe"],
  });
  agents.push(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function stopAgent(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
}

beforeAll(async () => {
  for (const name of ["upstream-1", "upstream-2"]) {
    const server = createServer((req, res) => res.end(`${name} ${req.url}`));
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    upstreams.push({ port, server });
  }
  ports = { http: await freePort(), https: await freePort() };
  work = await mkdtemp(join(tmpdir(), "charon-agent-cli-"));
  api = await npmStart({
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
  const created = await fetch(`${pdns.url}/api/v1/servers/localhost/zones`, {
    method: "POST",
    headers: { "x-api-key": pdns.key, "content-type": "application/json" },
    body: JSON.stringify({ name: `${zone}.`, kind: "Native", nameservers: [`ns1.${zone}.`] }),
  });
  expect(created.status).toBe(201);
  const token = await call("POST", "/v1/tokens", { name: "edge agent", permission: "scoped", scopes: { agents: "write" }, expires_at: null });
  expect(token.status).toBe(201);
  agentToken = token.body.token;
});

afterAll(async () => {
  await Promise.all(agents.map(stopAgent));
  await nginx?.stop();
  await api?.interrupt();
  await Promise.all(upstreams.map(({ server }) => new Promise((resolve) => server.close(resolve))));
  await rm(work, { recursive: true, force: true });
});

describe("charon-agent between the API and nginx", () => {
  it("applies what the API says, follows changes, reports back, and keeps serving without the API", async () => {
    const created = await call("POST", "/nginx/proxy-hosts", { domain_names: ["app.customer-a.test"], forward_host: "127.0.0.1", forward_port: upstreams[0]!.port });
    expect(created.status).toBe(201);
    const stateDir = join(work, "state");
    const confDir = join(work, "nginx");

    // --once writes the tree nginx starts from (the reload finds no nginx yet: reported, exit 0).
    const first = await runAgent([...agentArgs(stateDir, confDir), "--once"]);
    const [code] = (await once(first.child, "exit")) as [number];
    expect(code, first.output()).toBe(0);
    expect(first.output()).toMatch(/"proxy_error":"reload failed/);
    nginx = await startNginx({ configFile: join(confDir, "live", "nginx.conf"), httpPort: ports.http });
    expect(await viaNginx("app.customer-a.test", "/a")).toBe("200 upstream-1 /a");

    const daemon = await runAgent(agentArgs(stateDir, confDir));
    await call("PUT", `/nginx/proxy-hosts/${created.body.id}`, { forward_port: upstreams[1]!.port });
    await eventually(() => viaNginx("app.customer-a.test", "/b"), "200 upstream-2 /b");

    // A host nginx refuses is reported with nginx's error; the other keeps serving.
    const broken = await call("POST", "/nginx/proxy-hosts", {
      domain_names: ["broken.customer-a.test"], forward_host: "127.0.0.1", forward_port: upstreams[0]!.port, advanced_config: "proxy_no_such_thing on;",
    });
    expect(broken.status).toBe(201);
    const reportOf = async () => {
      const listed = await call("GET", "/v1/agents", undefined, agentToken);
      const agent = listed.body.find((a: { agent_id: string }) => a.agent_id === "edge-e2e");
      const host = agent?.hosts.find((h: { id: number }) => h.id === broken.body.id);
      const problem = agent?.problems.find((p: { id: number }) => p.id === broken.body.id);
      return agent?.in_sync && host ? `${host.status}: ${problem?.error}` : "not yet";
    };
    await eventually(async () => (await reportOf()).startsWith("failed"), true);
    expect(await reportOf()).toMatch(new RegExp(`^failed: \\[emerg\\] unknown directive "proxy_no_such_thing" in hosts/${broken.body.id}\\.conf:\\d+$`));
    expect(await viaNginx("app.customer-a.test", "/c")).toBe("200 upstream-2 /c");
    expect(daemon.output()).not.toContain(agentToken);

    // HTTPS: a certificate issued by Pebble (DNS-01 on PowerDNS) for a host, served once someone
    // who may download private keys approves the agent's key (its thumbprint is in its log).
    expect((await call("PUT", "/v1/settings", { dns_polling_interval_seconds: 1 })).status).toBe(200);
    const provider = await call("POST", "/v1/dns-providers", { name: "PowerDNS", acme_dns_provider: "powerdns", meta: { PDNS_API_URL: pdns.url, PDNS_API_KEY: pdns.key } });
    expect(provider.status).toBe(201);
    const secureName = `secure.${zone}`;
    const secure = await call("POST", "/nginx/proxy-hosts", {
      domain_names: [secureName], forward_host: "127.0.0.1", forward_port: upstreams[0]!.port, certificate_id: "new", ssl_forced: true,
      meta: { dns_provider_id: provider.body.id },
    });
    expect(secure.status, JSON.stringify(secure.body)).toBe(201);
    await expect
      .poll(async () => (await call("GET", `/nginx/certificates/${secure.body.certificate_id}`)).body.status, { timeout: 60_000, interval: 250 })
      .toBe("active");
    const pebbleRoot = await (await fetch(`${inject("pebbleManagementUrl")}/roots/0`)).text();
    // Not approved yet: the host is served over plain HTTP only.
    await eventually(() => viaNginx(secureName, "/plain"), "200 upstream-1 /plain");
    const thumbprint = /"key_thumbprint":"([A-Za-z0-9_-]{43})"/.exec(daemon.output())?.[1];
    expect(thumbprint).toBeDefined();
    const approval = await call("POST", "/v1/agents/edge-e2e/key/approve", { thumbprint });
    expect(approval.status, JSON.stringify(approval.body)).toBe(200);
    await eventually(() => viaNginxTls(secureName, "/s", pebbleRoot), "200 upstream-1 /s");
    expect(await viaNginx(secureName, "/s")).toMatch(/^301 /);

    // The API goes away: nginx keeps serving what was applied.
    await api.interrupt();
    await eventually(() => Promise.resolve(/snapshot not pulled; serving the last applied state/.test(daemon.output())), true);
    expect(await viaNginx("app.customer-a.test", "/d")).toBe("200 upstream-2 /d");

    // A restarted agent, the API still down, applies its cached snapshot to a fresh tree.
    await stopAgent(daemon.child);
    const freshConf = join(work, "nginx-fresh");
    const restarted = await runAgent([...agentArgs(stateDir, freshConf)]);
    await eventually(() => Promise.resolve(/"message":"applied"/.test(restarted.output())), true);
    await nginx.stop();
    nginx = await startNginx({ configFile: join(freshConf, "live", "nginx.conf"), httpPort: ports.http });
    expect(await viaNginx("app.customer-a.test", "/e")).toBe("200 upstream-2 /e");
    // The cached snapshot holds the key sealed; the agent's own key opens it again.
    expect(await viaNginxTls(secureName, "/e", pebbleRoot)).toBe("200 upstream-1 /e");
    await stopAgent(restarted.child);
  });
});
