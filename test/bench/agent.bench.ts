/**
 * `npm run bench:agent` (issue 11, the driver's part): the nginx driver in front of Debian's nginx
 * with the WAF, at 10 and at 1 000 proxy hosts, half of them with ModSecurity and the Core Rule Set.
 *
 * For each size it applies every host once, then changes one host's `forward_path` 20 times and
 * measures, each time, from the start of the apply to nginx serving the new path (the apply returns
 * once nginx answers with the new generation; the bench then asks nginx for the host). It prints the
 * median per size, the process's RSS with 1 000 hosts applied (the agent's memory: renderer, trees,
 * fault isolation), and last the line `one change at 1000 hosts / at 10 hosts: <x>x` (target ≤ 5x:
 * the Core Rule Set is loaded once per configuration, not per host).
 *
 * Not measured here yet (issue 11's other figures): the API-change-to-serving time through a
 * polling agent, and the bytes and CPU of a no-change poll (a 304 without a body).
 */
import { createServer, request } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { NginxDriver, type Snapshot, type SnapshotHost } from "@charon/agent";
import { freePort, type RunningService } from "@charon/local";
import { nginxBinary, nginxWorkerUser, requireWaf, startNginx } from "../harness/nginx.js";

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
async function oneChange(hostCount: number, upstreamPort: number): Promise<{ medianMs: number; rss: number; firstApplyMs: number }> {
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
    return { medianMs: median(samples), rss: process.memoryUsage().rss, firstApplyMs };
  } finally {
    await nginx?.stop();
    await rm(directory, { recursive: true, force: true });
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
  console.log(`agent RSS with 1000 hosts applied: ${(large.rss / 1024 / 1024).toFixed(1)} MiB (target < 100 MiB)`);
  console.log(`one change at 1000 hosts / at 10 hosts: ${(large.medianMs / small.medianMs).toFixed(2)}x (target <= 5x)`);
} finally {
  upstream.close();
}
