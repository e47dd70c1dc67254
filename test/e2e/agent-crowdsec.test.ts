import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, request, type Server } from "node:http";
import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NginxDriver, type SnapshotHost } from "@charon/agent";
import { MAX_BODY_BYTES } from "@charon/api";
import { freePort, type RunningService } from "@charon/local";
import { host } from "../../packages/agent/test/hosts.js";
import { startCrowdSec, type RunningCrowdSec } from "../harness/crowdsec.js";
import { nginxBinary, nginxWorkerUser, startNginx } from "../harness/nginx.js";
import { npmStart, type StartedServer } from "../support/npm-start.js";

/**
 * Issue 11 §5 end to end: the agent as a bouncer of CrowdSec's Local API (Debian's `crowdsec
 * -no-cs`, decisions added with `cscli`), the API as `npm start` runs it, Debian's nginx. A ban on
 * an address or a range makes nginx refuse requests from there (the client's socket bound to
 * another loopback address) while others pass, and the API lists it; deleting it lets the
 * address in again; a captcha is not enforced; with the Local API gone the bans stay and the
 * agent reports why. The nginx driver alone: a change of bans touches the map and nothing else,
 * and a map nginx refuses leaves the last good one.
 */
const bootstrapToken = `chrn_${randomBytes(24).toString("hex")}`;
const AGENT = join(process.cwd(), "packages/agent/bin/charon-agent.js");
const HOST = "app.customer-a.test";

let api: StartedServer;
let crowdsec: RunningCrowdSec | undefined;
let nginx: RunningService | undefined;
let agent: ChildProcess | undefined;
let agentToken: string;
let bouncerKey: string;
let work: string;
let httpPort: number;
let upstream: { port: number; server: Server };

async function call(method: string, path: string, body?: unknown, token = bootstrapToken) {
  const response = await fetch(`${api.origin}/api${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? null : JSON.parse(text) };
}

/** nginx's answer to a request for `name` (HOST) from the client address `from` (a loopback address). */
function from(address: string, path = "/", name = HOST, port = httpPort): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, localAddress: address, headers: { host: name }, agent: false }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve(`${response.statusCode} ${body}`.trim()));
    });
    req.on("error", (error) => resolve(`error ${error.message}`));
    req.end();
  });
}

/** The status line of what nginx answers `address` (403 when banned). */
async function statusFor(address: string): Promise<string> {
  return (await from(address)).split(" ")[0] ?? "";
}

/** Polls `probe` until it returns `expected`: the agent pulls decisions every second. */
async function eventually<T>(probe: () => Promise<T>, expected: T, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (JSON.stringify(last) !== JSON.stringify(expected) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await probe();
  }
  expect(last).toEqual(expected);
}

/** The decisions the API lists for `ip`, as value/scope/type/agent. */
async function listedFor(ip: string): Promise<string[]> {
  const listed = await call("GET", `/security/crowdsec/decisions?ip=${encodeURIComponent(ip)}`);
  expect(listed.status).toBe(200);
  return listed.body.map((d: { scope: string; value: string; type: string; agent: string }) => `${d.scope} ${d.value} ${d.type} ${d.agent}`);
}

async function agentReport() {
  const listed = await call("GET", "/v1/agents", undefined, agentToken);
  return listed.body.find((a: { agent_id: string }) => a.agent_id === "edge-cs");
}

beforeAll(async () => {
  const server = createServer((req, res) => res.end(`upstream ${req.url}`));
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  upstream = { port, server };
  httpPort = await freePort();
  work = await mkdtemp(join(tmpdir(), "charon-agent-crowdsec-"));
  crowdsec = await startCrowdSec();
  bouncerKey = await crowdsec.addBouncer("charon-agent-e2e");
  api = await npmStart({
    PORT: String(await freePort()),
    CHARON_DATA_DIR: join(work, "api-data"),
    CHARON_TABLE_NAME: `crowdsec-${randomUUID()}`,
    CHARON_BOOTSTRAP_TOKEN: bootstrapToken,
  });
  const token = await call("POST", "/v1/tokens", { name: "edge agent", permission: "scoped", scopes: { agents: "write" }, expires_at: null });
  expect(token.status).toBe(201);
  agentToken = token.body.token;
});

afterAll(async () => {
  if (agent && agent.exitCode === null && agent.signalCode === null) {
    const exited = once(agent, "exit");
    agent.kill("SIGTERM");
    await exited;
  }
  await nginx?.stop();
  await crowdsec?.stop();
  await api?.interrupt();
  await new Promise((resolve) => upstream?.server.close(resolve));
  await rm(work, { recursive: true, force: true });
});

describe("charon-agent as a CrowdSec bouncer", () => {
  it("refuses banned addresses and ranges at nginx, lists the bans in the API, and lets them in again when deleted", async () => {
    const created = await call("POST", "/nginx/proxy-hosts", { domain_names: [HOST], forward_host: "127.0.0.1", forward_port: upstream.port });
    expect(created.status).toBe(201);
    const confDir = join(work, "nginx");
    const args = [
      AGENT,
      "--api-url", `${api.origin}/api`,
      "--agent-id", "edge-cs",
      "--state-dir", join(work, "state"),
      "--nginx-conf-dir", confDir,
      "--listen", "127.0.0.1",
      "--http-port", String(httpPort),
      "--https-port", String(await freePort()),
      "--resolver", "127.0.0.1",
      "--interval", "1",
      "--crowdsec-lapi-url", crowdsec!.lapiUrl,
      "--crowdsec-interval", "1",
      ...(nginxWorkerUser() ? ["--nginx-user", nginxWorkerUser()!] : []),
    ];
    const env = { ...process.env, CHARON_AGENT_TOKEN: agentToken, CHARON_AGENT_CROWDSEC_KEY: bouncerKey, CHARON_AGENT_NGINX_BIN: await nginxBinary() };
    // --once writes the tree, the deny map included, that nginx starts from.
    const first = spawn(process.execPath, [...args, "--once"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let firstOutput = "";
    first.stdout.on("data", (chunk: Buffer) => (firstOutput += chunk.toString()));
    first.stderr.on("data", (chunk: Buffer) => (firstOutput += chunk.toString()));
    const [code] = (await once(first, "exit")) as [number];
    expect(code, firstOutput).toBe(0);
    nginx = await startNginx({ configFile: join(confDir, "live", "nginx.conf"), httpPort });
    expect(await from("127.0.0.2", "/a")).toBe("200 upstream /a");

    agent = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    agent.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    agent.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await eventually(async () => (await agentReport())?.crowdsec?.decisions_total, 0);

    // A ban on one address: refused there, served elsewhere, listed by the API.
    await crowdsec!.addDecision({ ip: "127.0.0.2" });
    await eventually(() => statusFor("127.0.0.2"), "403");
    expect(await from("127.0.0.1", "/b")).toBe("200 upstream /b");
    await eventually(() => listedFor("127.0.0.2"), ["Ip 127.0.0.2 ban edge-cs"]);
    const [listed] = (await call("GET", "/security/crowdsec/decisions?ip=127.0.0.2")).body;
    expect(listed).toMatchObject({ origin: "cscli", scope: "Ip", value: "127.0.0.2", type: "ban", scenario: expect.stringMatching(/^manual 'ban' from /), agent: "edge-cs" });
    // The Local API gave "4h" as time left when the agent pulled it.
    expect(Date.parse(listed.until) - Date.now()).toBeGreaterThan(3 * 3600_000);
    expect(Date.parse(listed.until) - Date.now()).toBeLessThanOrEqual(4 * 3600_000);

    // Deleted: the address is served again and no longer listed.
    await crowdsec!.deleteDecisions({ ip: "127.0.0.2" });
    await eventually(() => statusFor("127.0.0.2"), "200");
    await eventually(() => listedFor("127.0.0.2"), []);

    // A captcha is not enforced (no page to solve it without Lua): counted as skipped. A range
    // ban refuses every address in it.
    await crowdsec!.addDecision({ ip: "127.0.0.3" }, { type: "captcha" });
    await crowdsec!.addDecision({ range: "127.0.0.4/30" });
    await eventually(() => statusFor("127.0.0.5"), "403");
    expect(await statusFor("127.0.0.7")).toBe("403");
    expect(await statusFor("127.0.0.8")).toBe("200");
    expect(await statusFor("127.0.0.3")).toBe("200");
    await eventually(() => listedFor("127.0.0.5"), ["Range 127.0.0.4/30 ban edge-cs"]);
    const report = await agentReport();
    expect(report.crowdsec).toMatchObject({ decisions_total: 1, skipped: 1, error: null });
    expect(report.crowdsec.decisions).toEqual([expect.objectContaining({ scope: "Range", value: "127.0.0.4/30", type: "ban", origin: "cscli" })]);

    // The Local API goes away: the bans stay in force, and the report says why.
    await crowdsec!.stop();
    crowdsec = undefined;
    await eventually(async () => /did not answer/.test((await agentReport())?.crowdsec?.error ?? ""), true);
    expect(await statusFor("127.0.0.5")).toBe("403");
    expect(await statusFor("127.0.0.1")).toBe("200");
    expect(output).not.toContain(bouncerKey);
    expect(output).not.toContain(agentToken);
  });

  it("takes the largest valid part 1 with the most CrowdSec bans within the body limit, and refuses one ban more or bans in another part; only a part 1 replaces the agent's bans", async () => {
    const id = 999_999_999_999_999;
    // Every ban's text at its longest: printable ASCII without quotes or backslashes, so its JSON is its length.
    const decision = {
      id: 999_999_999_999, type: "ban", scenario: "x".repeat(80), origin: "x".repeat(32), duration: "x".repeat(32),
      until: "2099-12-31T23:59:59.123456789Z", scope: "Range", value: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
    };
    const crowdsec = { decisions_total: 10_000_000, skipped: 10_000_000, error: "€".repeat(300), decisions: Array.from({ length: 100 }, () => decision) };
    // The bans' share of the 256 KiB body limit (docs/decisions/0026-crowdsec-bouncer.md).
    expect(Buffer.byteLength(JSON.stringify({ crowdsec }))).toBeLessThanOrEqual(40 * 1024);
    const largest = {
      agent_id: "a".repeat(64), version: "v".repeat(64), driver: "nginx", applied_etag: "e".repeat(100), proxy_error: "€".repeat(1000),
      hosts: Array.from({ length: 500 }, () => ({ id, status: "disabled", serving: "previous", tls: false, waf_mode: "monitor", modified_on: "m".repeat(40) })),
      problems: Array.from({ length: 100 }, () => ({ id, error: "€".repeat(300), note: "€".repeat(100) })),
      part: 1, parts: 100, crowdsec,
    };
    expect(Buffer.byteLength(JSON.stringify(largest))).toBeLessThanOrEqual(MAX_BODY_BYTES);
    const sent = await call("POST", "/v1/agent/reports", largest, agentToken);
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    const tooMany = await call("POST", "/v1/agent/reports", { ...largest, crowdsec: { ...crowdsec, decisions: [...crowdsec.decisions, decision] } }, agentToken);
    expect(tooMany.status).toBe(400);
    expect(JSON.stringify(tooMany.body)).toContain("crowdsec.decisions");
    const inPart2 = await call("POST", "/v1/agent/reports", { ...largest, part: 2 }, agentToken);
    expect(inPart2.status).toBe(400);
    expect(inPart2.body.message).toContain("crowdsec: only part 1 carries the CrowdSec bans (this is part 2)");

    // The bans are that agent's until a part 1 says otherwise: another part leaves them, a part 1
    // without them removes them.
    const address = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
    const agent = "a".repeat(64);
    expect(await listedFor(address)).toEqual([`Range ${decision.value} ban ${agent}`]);
    const { crowdsec: _bans, ...withoutBans } = largest;
    expect((await call("POST", "/v1/agent/reports", { ...withoutBans, part: 2 }, agentToken)).status).toBe(200);
    expect(await listedFor(address)).toEqual([`Range ${decision.value} ban ${agent}`]);
    expect((await call("POST", "/v1/agent/reports", withoutBans, agentToken)).status).toBe(200);
    expect(await listedFor(address)).toEqual([]);
  });
});

describe("the nginx driver's deny map", () => {
  it("a change of bans rewrites the map alone and reloads once; a map nginx refuses leaves the last good one, and host changes still apply", async () => {
    const dir = await mkdtemp(join(work, "driver-"));
    const port = await freePort();
    // nginx itself, but its test refuses a map holding 203.0.113.66: a stand-in for whatever makes
    // nginx refuse a map. Every run is logged, so the test counts tests and reloads.
    const wrapper = join(dir, "nginx");
    const runs = join(dir, "runs.log");
    const staged = join(dir, "conf", "staged");
    await writeFile(
      wrapper,
      [
        "#!/bin/sh",
        `echo "$*" >> '${runs}'`,
        `case " $* " in *" -t "*) if grep -q 203.0.113.66 '${staged}/crowdsec/deny.conf' 2>/dev/null; then echo "nginx: [emerg] refused for the test in ${staged}/crowdsec/deny.conf:3" >&2; exit 1; fi;; esac`,
        `exec '${await nginxBinary()}' "$@"`,
        "",
      ].join("\n"),
    );
    await chmod(wrapper, 0o755);
    const user = nginxWorkerUser();
    const driver = new NginxDriver({
      confDir: join(dir, "conf"), runDir: join(dir, "run"), nginxBin: wrapper, listenAddress: "127.0.0.1", httpPort: port, httpsPort: await freePort(),
      resolvers: ["127.0.0.1"], crowdsec: true, ...(user ? { user } : {}),
    });
    let hosts: SnapshotHost[] = [
      host({ id: 1, domain_names: ["one.customer-a.test"], forward_port: upstream.port }),
      host({ id: 2, domain_names: ["two.customer-a.test"], forward_port: upstream.port, forward_path: "/two/" }),
    ];
    const apply = () => driver.apply({ etag: `"${hosts.map((h) => h.forward_path).join()}"`, proxy_hosts: hosts, certificates: [] });
    expect((await apply()).proxy_error).toMatch(/reload failed/); // nginx is not running yet
    const server = await startNginx({ configFile: driver.mainConfigFile, httpPort: port });
    try {
      const answer = (address: string, name: string) => from(address, "/x", name, port);
      const statusAt = async (address: string, name: string) => (await answer(address, name)).split(" ")[0];
      expect(await answer("127.0.0.2", "two.customer-a.test")).toBe("200 upstream /two/x");
      const live = join(dir, "conf", "live");
      const files = async () => {
        const names = ["nginx.conf", ...(await readdir(join(live, "hosts"))).map((n) => `hosts/${n}`)];
        return Object.fromEntries(await Promise.all(names.map(async (n) => [n, `${(await stat(join(live, n))).mtimeMs} ${await readFile(join(live, n), "utf8")}`])));
      };
      const before = await files();
      const runsBefore = (await readFile(runs, "utf8")).split("\n").length;

      expect(await driver.applyDenyList(["127.0.0.2"])).toEqual({ applied: true, error: null });
      expect(await statusAt("127.0.0.2", "one.customer-a.test")).toBe("403");
      expect(await statusAt("127.0.0.2", "two.customer-a.test")).toBe("403");
      expect(await answer("127.0.0.1", "two.customer-a.test")).toBe("200 upstream /two/x");
      expect(await files()).toEqual(before);
      const ran = (await readFile(runs, "utf8")).split("\n").slice(runsBefore - 1).filter((line) => line !== "");
      expect(ran.map((line) => line.split(" ").slice(0, 2).join(" "))).toEqual(["-t -q", "-s reload"]);

      const refused = await driver.applyDenyList(["127.0.0.2", "203.0.113.66"]);
      expect(refused).toEqual({ applied: false, error: "[emerg] refused for the test in crowdsec/deny.conf:3" });
      expect(await readFile(join(live, "crowdsec", "deny.conf"), "utf8")).not.toContain("203.0.113.66");
      expect(await statusAt("127.0.0.2", "one.customer-a.test")).toBe("403");

      // The refused map does not hold back a host's change; the last good map stays.
      hosts = hosts.map((h) => (h.id === 2 ? { ...h, forward_path: "/second/" } : h));
      const applied = await apply();
      expect(applied.proxy_error).toBeNull();
      expect(applied.hosts.map((h) => h.status)).toEqual(["applied", "applied"]);
      expect(await answer("127.0.0.1", "two.customer-a.test")).toBe("200 upstream /second/x");
      expect(await statusAt("127.0.0.2", "two.customer-a.test")).toBe("403");

      expect(await driver.applyDenyList([])).toEqual({ applied: true, error: null });
      expect(await answer("127.0.0.2", "two.customer-a.test")).toBe("200 upstream /second/x");
    } finally {
      await server.stop();
    }
  });
});
