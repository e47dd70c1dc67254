/**
 * `npm run bench:agent` (issue 11, the driver's part): the nginx driver in front of Debian's nginx
 * with the WAF, at 10 and at 1 000 proxy hosts, half of them with ModSecurity and the Core Rule Set.
 *
 * For each size it applies every host once, then changes one host's `forward_path` 20 times and
 * measures, each time, from the start of the apply to nginx serving the new path (the apply returns
 * once nginx answers with the new generation; the bench then asks nginx for the host). It prints the
 * median per size, and last the line `one change at 1000 hosts / at 10 hosts: <x>x` (target ≤ 5x:
 * the Core Rule Set is loaded once per configuration, not per host).
 *
 * Then through the API, as a user sees it: the API (the app `npm start` serves, on DynamoDB Local)
 * with 1 000 hosts, the agent polling it every 10 s (its default interval) in front of nginx. It
 * times 20 changes from the `PUT` answering to nginx serving the change (median; target under 2
 * intervals), and measures one no-change poll: the bytes on the wire (request and 304), the CPU
 * time (agent and API, one process here), and the DynamoDB read capacity it consumes beside a poll
 * that builds the snapshot (what every poll read before the version mark, decision 0022). Last before
 * the ratio, the memory of charon-agent as it ships (bundled, plain node, its own process) with the
 * 1 000 hosts applied (target < 100 MiB).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, request } from "node:http";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Socket } from "node:net";
import { randomBytes } from "node:crypto";
import { Agent, NginxDriver, Wakeup, loadConfig, loadOrCreateAgentKey, type Snapshot, type SnapshotHost } from "@charon/agent";
import type { DynamoTable } from "@charon/aws";
import { freePort, startDynamoDbLocal, type RunningService } from "@charon/local";
import { nginxBinary, nginxWorkerUser, requireWaf, startNginx } from "../harness/nginx.js";
import { jsonApi } from "./json-api.js";

const CHANGES = 20;

function host(id: number, upstreamPort: number): SnapshotHost {
  return {
    id,
    modified_on: "2026-11-30T00:00:00.000Z",
    domain_names: [`h${id}.bench.test`],
    forward_scheme: "http",
    forward_host: "127.0.0.1",
    forward_port: upstreamPort,
    forward_path: "",
    certificate_id: 0,
    ssl_forced: false,
    hsts_enabled: false,
    hsts_subdomains: false,
    http2_support: false,
    block_exploits: id % 4 === 0,
    caching_enabled: false,
    allow_websocket_upgrade: true,
    advanced_config: "",
    enabled: true,
    locations: [],
    waf_enabled: id % 2 === 0,
    waf_mode: id % 4 === 0 ? "block" : "monitor",
  };
}

function get(port: number, name: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { host: name }, agent: false }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve(body));
    });
    req.on("error", reject);
    req.end();
  });
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median milliseconds from the start of an apply that changes one host to nginx serving it. */
async function oneChange(hostCount: number, upstreamPort: number): Promise<{ medianMs: number; firstApplyMs: number }> {
  const directory = await mkdtemp(join(tmpdir(), "charon-bench-agent-"));
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const driver = new NginxDriver({
    confDir: join(directory, "conf"),
    runDir: join(directory, "run"),
    nginxBin: await nginxBinary(),
    listenAddress: "127.0.0.1",
    httpPort,
    httpsPort,
    resolvers: ["127.0.0.1"],
    user: nginxWorkerUser(),
    waf: await requireWaf(),
  });
  let nginx: RunningService | undefined;
  try {
    let hosts = Array.from({ length: hostCount }, (_, i) => host(i + 1, upstreamPort));
    const snapshot = (): Snapshot => ({ etag: `"${performance.now()}"`, proxy_hosts: hosts, certificates: [] });
    await driver.apply({ etag: '"empty"', proxy_hosts: [], certificates: [] });
    nginx = await startNginx({ configFile: driver.mainConfigFile, httpPort });
    const firstStart = performance.now();
    const first = await driver.apply(snapshot());
    const firstApplyMs = performance.now() - firstStart;
    if (first.proxy_error !== null || first.hosts.some((h) => h.status !== "applied")) throw new Error(`first apply failed: ${first.proxy_error}`);

    const samples: number[] = [];
    const target = Math.ceil(hostCount / 2); // a WAF host (even id) or not, alternately
    for (let round = 1; round <= CHANGES; round++) {
      const id = target + (round % 2);
      hosts = hosts.map((h) => (h.id === id ? { ...h, forward_path: `/v${round}/` } : h));
      const start = performance.now();
      const result = await driver.apply(snapshot());
      const body = await get(httpPort, `h${id}.bench.test`, "/x");
      samples.push(performance.now() - start);
      if (result.trials !== 1 || body !== `/v${round}/x`) throw new Error(`round ${round}: ${JSON.stringify({ trials: result.trials, body })}`);
    }
    return { medianMs: median(samples), firstApplyMs };
  } finally {
    await nginx?.stop();
    await rm(directory, { recursive: true, force: true });
  }
}

/** What the API side of the bench consumed: DynamoDB read capacity units, summed over every read. */
const capacity = { reads: 0 };

/** Counts the read capacity of every read on `table` (DynamoDB Local reports it like DynamoDB). */
function countReadCapacity(table: DynamoTable): void {
  const reads = new Set(["GetItemCommand", "QueryCommand", "BatchGetItemCommand", "ScanCommand"]);
  table.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!reads.has(context.commandName ?? "")) return next(args);
      (args.input as Record<string, unknown>)["ReturnConsumedCapacity"] = "TOTAL";
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] }).ConsumedCapacity;
      for (const entry of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) capacity.reads += entry.CapacityUnits ?? 0;
      return result;
    },
    { step: "initialize", name: "benchReadCapacity" },
  );
}

const POLL_INTERVAL_SECONDS = 10;

interface ThroughTheApi {
  changeMedianMs: number;
  pollBytes: number;
  pollCpuMs: number;
  pollRcu: number;
  buildRcu: number;
  agentRss: { rssKib: number; peakKib: number };
}

/** The API, 1 000 hosts, the agent polling it in front of nginx: change-to-serving and a no-change poll. */
async function throughTheApi(hostCount: number, upstreamPort: number): Promise<ThroughTheApi> {
  const [{ serve }, { createApp }, { createDynamoTable, ensureTable }, { createServices }] = await Promise.all([
    import("@hono/node-server"),
    import("@charon/api"),
    import("@charon/aws"),
    import("@charon/runtime"),
  ]);
  const scratch = await mkdtemp(join(tmpdir(), "charon-bench-agent-api-"));
  const dynamodb = await startDynamoDbLocal({ dataDirectory: join(scratch, "dynamodb") });
  Object.assign(process.env, { AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" });
  const table = createDynamoTable("charon-bench-agent");
  await ensureTable(table.client, table.name);
  countReadCapacity(table);
  const services = createServices({ table });
  const token = `chrn_${randomBytes(24).toString("hex")}`;
  await services.tokens.ensureBootstrapToken(token);
  const app = createApp({ services, logger: { info() {}, warn() {}, error() {} } });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const listening = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(listening));
  });
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => sockets.add(socket));
  const wire = () => [...sockets].reduce((sum, s) => sum + s.bytesRead + s.bytesWritten, 0);
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/api`;
  const api = jsonApi<{ id: number; token: string; domain_names: string[] }>(base, token);
  let nginx: RunningService | undefined;
  const stop = new AbortController();
  let running: Promise<void> | undefined;
  try {
    // Created ten at a time: ids come in any order, so each host is known by id and name.
    const created: { id: number; name: string }[] = [];
    for (let start = 1; start <= hostCount; start += 10) {
      const batch = Array.from({ length: Math.min(10, hostCount - start + 1) }, (_, i) => host(start + i, upstreamPort));
      const answers = await Promise.all(
        batch.map(({ domain_names, forward_port, block_exploits, allow_websocket_upgrade, waf_enabled, waf_mode }) =>
          api("POST", "/nginx/proxy-hosts", { domain_names, forward_host: "127.0.0.1", forward_port, block_exploits, allow_websocket_upgrade, waf_enabled, waf_mode }),
        ),
      );
      created.push(...answers.map((h) => ({ id: h.id, name: h.domain_names[0]! })));
    }
    const agentToken = (await api("POST", "/v1/tokens", { name: "bench agent", permission: "scoped", scopes: { agents: "write" }, expires_at: null })).token;
    const [httpPort, httpsPort] = [await freePort(), await freePort()];
    const user = nginxWorkerUser();
    const config = await loadConfig(
      [
        "--api-url", base, "--agent-id", "bench", "--state-dir", join(scratch, "agent"), "--nginx-conf-dir", join(scratch, "nginx"),
        "--listen", "127.0.0.1", "--http-port", String(httpPort), "--https-port", String(httpsPort), "--resolver", "127.0.0.1",
        "--interval", String(POLL_INTERVAL_SECONDS), ...(user ? ["--nginx-user", user] : []),
      ],
      { CHARON_AGENT_TOKEN: agentToken, CHARON_AGENT_NGINX_BIN: await nginxBinary() },
    );
    if (config === null) throw new Error("no agent configuration");
    if (!config.nginx.waf) throw new Error("the WAF packages are not installed (libnginx-mod-http-modsecurity, modsecurity-crs)");
    const driver = new NginxDriver({ ...config.nginx, runDir: join(config.nginx.confDir, "run"), nginxBin: config.nginx.bin, waf: config.nginx.waf });
    const agent = new Agent(config, driver, { info() {}, warn() {} }, "bench", await loadOrCreateAgentKey(config.stateDir));
    // The first pull writes the tree nginx starts from (its reload finds no nginx yet).
    if ((await agent.pollOnce()) !== "applied") throw new Error("the first pull applied nothing");
    nginx = await startNginx({ configFile: driver.mainConfigFile, httpPort });
    // That reload failed: the next poll (a 304) applies the same snapshot again, reloading the nginx now running.
    if ((await agent.pollOnce()) !== "reapplied") throw new Error("the poll after nginx started did not reload it");

    // One no-change poll: a 304 (the agent's heartbeat is not due: it reported a moment ago).
    const [bytesBefore, rcuBefore, cpuBefore] = [wire(), capacity.reads, process.cpuUsage()];
    if ((await agent.pollOnce()) !== "unchanged") throw new Error("the second pull was not a 304");
    const cpu = process.cpuUsage(cpuBefore);
    const poll = { pollBytes: wire() - bytesBefore, pollCpuMs: (cpu.user + cpu.system) / 1000, pollRcu: capacity.reads - rcuBefore };

    // A change: the poll that follows builds the snapshot (and applies it), what every poll cost before the mark.
    const middle = Math.ceil(created.length / 2) - 1; // a WAF host (even) or not, alternately
    await api("PUT", `/nginx/proxy-hosts/${created[middle]!.id}`, { forward_path: "/v0/" });
    const rcuBuild = capacity.reads;
    await fetch(`${base}/v1/agent/snapshot?agent_id=bench`, { headers: { Authorization: `Bearer ${agentToken}` } }).then((r) => r.arrayBuffer());
    const buildRcu = capacity.reads - rcuBuild;

    // The agent polling on its own from here; each change is timed from the PUT's answer to nginx serving it.
    const wakeup = new Wakeup();
    running = agent.run(stop.signal, wakeup);
    const samples: number[] = [];
    for (let round = 1; round <= CHANGES; round++) {
      const { id, name } = created[middle + (round % 2)]!;
      await api("PUT", `/nginx/proxy-hosts/${id}`, { forward_path: `/p${round}/` });
      const start = performance.now();
      while ((await get(httpPort, name, "/x").catch(() => "")) !== `/p${round}/x`) {
        if (performance.now() - start > 6 * POLL_INTERVAL_SECONDS * 1000) throw new Error(`round ${round}: not served after 6 intervals`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      samples.push(performance.now() - start);
    }
    return { changeMedianMs: median(samples), ...poll, buildRcu, agentRss: await shippedAgentRss(base, agentToken, scratch, user) };
  } finally {
    stop.abort();
    await running;
    await nginx?.stop();
    await new Promise((resolve) => server.close(resolve));
    await dynamodb.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The memory of charon-agent as it ships (the bundle plain node runs, bin/charon-agent.js) once it
 * has applied the API's 1 000 hosts: its own process, read from /proc (VmRSS, and VmHWM: the peak).
 * Its tree has no nginx of its own, so its reload fails and is reported; the render, `nginx -t`
 * and fault isolation ran in full.
 */
async function shippedAgentRss(base: string, agentToken: string, scratch: string, user: string | undefined): Promise<{ rssKib: number; peakKib: number }> {
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const agent = spawn(
    process.execPath,
    [
      join(process.cwd(), "packages/agent/bin/charon-agent.js"),
      "--api-url", base, "--agent-id", "bench-rss", "--state-dir", join(scratch, "agent-rss"), "--nginx-conf-dir", join(scratch, "nginx-rss"),
      "--listen", "127.0.0.1", "--http-port", String(httpPort), "--https-port", String(httpsPort), "--resolver", "127.0.0.1",
      ...(user ? ["--nginx-user", user] : []),
    ],
    { env: { ...process.env, CHARON_AGENT_TOKEN: agentToken, CHARON_AGENT_NGINX_BIN: await nginxBinary() }, stdio: ["ignore", "ignore", "inherit"] },
  );
  const exited = once(agent, "exit");
  try {
    const started = performance.now();
    for (;;) {
      const agents = (await fetch(`${base}/v1/agents`, { headers: { Authorization: `Bearer ${agentToken}` } }).then((r) => r.json())) as { agent_id: string; hosts: unknown[] }[];
      if (agents.some((a) => a.agent_id === "bench-rss" && a.hosts.length >= 1000)) break;
      if (agent.exitCode !== null) throw new Error(`charon-agent exited with ${agent.exitCode}`);
      if (performance.now() - started > 300_000) throw new Error("charon-agent reported no apply of 1000 hosts within 5 minutes");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const status = await readFile(`/proc/${agent.pid}/status`, "utf8");
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { rssKib: kib("VmRSS"), peakKib: kib("VmHWM") };
  } finally {
    agent.kill("SIGTERM");
    await exited;
  }
}

const upstream = createServer((req, res) => res.end(req.url));
const upstreamPort = await freePort();
await new Promise<void>((resolve) => upstream.listen(upstreamPort, "127.0.0.1", resolve));
try {
  const small = await oneChange(10, upstreamPort);
  console.log(`10 hosts (5 with the WAF): first apply ${small.firstApplyMs.toFixed(0)} ms; one changed host, apply to serving: median ${small.medianMs.toFixed(0)} ms of ${CHANGES}`);
  const large = await oneChange(1000, upstreamPort);
  console.log(`1000 hosts (500 with the WAF): first apply ${large.firstApplyMs.toFixed(0)} ms; one changed host, apply to serving: median ${large.medianMs.toFixed(0)} ms of ${CHANGES}`);
  const through = await throughTheApi(1000, upstreamPort);
  console.log(
    `through the API, 1000 hosts, agent polling every ${POLL_INTERVAL_SECONDS} s: PUT answered to nginx serving it: median ${(through.changeMedianMs / 1000).toFixed(1)} s of ${CHANGES} ` +
      `= ${(through.changeMedianMs / (POLL_INTERVAL_SECONDS * 1000)).toFixed(2)} intervals (target < 2)`,
  );
  console.log(
    `one no-change poll (304): ${through.pollBytes} bytes on the wire (target < 1 KB), ${through.pollCpuMs.toFixed(1)} ms CPU (agent and API in one process), ` +
      `${through.pollRcu} RCU; a poll that builds the snapshot: ${through.buildRcu} RCU (every poll before the version mark)`,
  );
  console.log(
    `agent RSS with 1000 hosts applied (charon-agent as it ships, its own process): ${(through.agentRss.rssKib / 1024).toFixed(1)} MiB, ` +
      `peak ${(through.agentRss.peakKib / 1024).toFixed(1)} MiB (target < 100 MiB)`,
  );
  console.log(`one change at 1000 hosts / at 10 hosts: ${(large.medianMs / small.medianMs).toFixed(2)}x (target <= 5x)`);
} finally {
  upstream.close();
}
