import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { once } from "node:events";
import { createServer as createHttpServer, request } from "node:http";
import { createServer } from "node:net";
import { connect } from "node:tls";
import { CaddyDriver, type Snapshot } from "@charon/agent";
import { freePort } from "@charon/local";
import { host } from "../../packages/agent/test/hosts.js";
import { caddyBinary, startCaddy, type RunningCaddy } from "../harness/caddy.js";
import { startCrowdSec, type RunningCrowdSec } from "../harness/crowdsec.js";
import {
  eventually,
  runAgent,
  startAgentScenario,
  stopAgent,
  viaHttp,
  viaHttps,
  viaProxy,
  type AgentScenario,
  type RunningAgent,
} from "../support/agent-scenario.js";

/**
 * Issue 11's scenario with Caddy (Debian's 2.6, admin API on loopback, automatic HTTPS off): the
 * API as `npm start` runs it, certificates from the run's Pebble through its PowerDNS, the
 * `charon-agent --driver caddy` command polling every second, two loopback upstreams. What a client
 * gets from Caddy follows what is done through the API, and the agent's reports say what Caddy
 * serves, what it refused, and what this driver does not apply.
 */
let scenario: AgentScenario;
let caddy: RunningCaddy;
let crowdsec: RunningCrowdSec;
let agent: RunningAgent;
let ports: { http: number; https: number };
let pebbleRoot: string;
let providerId: number;
let app: { id: number; certificate_id: number; name: string };
let aliveId: number;

const AGENT_ID = "edge-caddy";

/** This agent's last report of host `id`: its status and its error or note. */
async function reported(id: number): Promise<{ status: string; error: string | null; note: string | null } | null> {
  const listed = await scenario.call("GET", "/v1/agents", undefined, scenario.agentToken);
  const mine = (listed.body as { agent_id: string; hosts: { id: number; status: string }[]; problems: { id: number; error: string | null; note: string | null }[] }[]).find(
    (a) => a.agent_id === AGENT_ID,
  );
  const host = mine?.hosts.find((h) => h.id === id);
  if (!host) return null;
  const problem = mine?.problems.find((p) => p.id === id);
  return { status: host.status, error: problem?.error ?? null, note: problem?.note ?? null };
}

async function createHost(fields: Record<string, unknown>): Promise<{ id: number; certificate_id: number }> {
  const created = await scenario.call("POST", "/nginx/proxy-hosts", { forward_host: "127.0.0.1", forward_port: scenario.upstreams[0]!.port, ...fields });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

/** The protocol Caddy picks for `name` when a client offers HTTP/2 and HTTP/1.1 (ALPN); null without a handshake. */
function alpn(name: string): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port: ports.https, servername: name, ca: pebbleRoot, ALPNProtocols: ["h2", "http/1.1"] }, () => {
      resolve(socket.alpnProtocol || null);
      socket.destroy();
    });
    socket.on("error", () => resolve(null));
  });
}

/** The serial number of the certificate served for `name`, as upper-case hexadecimal without leading zeros. */
async function servedSerial(name: string): Promise<string | null> {
  const answer = await viaProxy(ports.https, name, "/serial", pebbleRoot);
  return answer?.certificate ? hex(answer.certificate.serialNumber) : null;
}

function hex(serial: string | null | undefined): string | null {
  return serial ? serial.toUpperCase().replace(/^0+(?=.)/, "") : null;
}

beforeAll(async () => {
  scenario = await startAgentScenario("agent-caddy");
  caddy = await startCaddy();
  crowdsec = await startCrowdSec();
  ports = { http: await freePort(), https: await freePort() };
  pebbleRoot = await scenario.pebbleRoot();
  providerId = await scenario.powerDnsProvider();
  agent = runAgent(
    [
      "--api-url", `${scenario.api.origin}/api`,
      "--agent-id", AGENT_ID,
      "--state-dir", join(scenario.work, "state"),
      "--driver", "caddy",
      "--caddy-admin", caddy.adminAddress,
      "--listen", "127.0.0.1",
      "--http-port", String(ports.http),
      "--https-port", String(ports.https),
      "--resolver", inject("powerdnsDnsAddress"),
      "--interval", "1",
      "--crowdsec-lapi-url", crowdsec.lapiUrl,
      "--crowdsec-interval", "1",
    ],
    { CHARON_AGENT_TOKEN: scenario.agentToken, CHARON_AGENT_CADDY_BIN: await caddyBinary(), CHARON_AGENT_CROWDSEC_KEY: await crowdsec.addBouncer("charon-agent-caddy") },
  );
  // Someone who may download private keys approves the agent's key (its thumbprint is in its log)
  // once the agent has registered it.
  await eventually(async () => /key not approved yet/.test(agent.output()), true);
  const thumbprint = /"key_thumbprint":"([A-Za-z0-9_-]{43})"/.exec(agent.output())?.[1];
  const approval = await scenario.call("POST", `/v1/agents/${AGENT_ID}/key/approve`, { thumbprint });
  expect(approval.status, JSON.stringify(approval.body)).toBe(200);
}, 120_000);

afterAll(async () => {
  if (agent) await stopAgent(agent.child);
  await caddy?.stop();
  await crowdsec?.stop();
  await scenario?.close();
});

describe("charon-agent --driver caddy between the API and Caddy", () => {
  it("serves a host over HTTPS with the certificate issued for it, and redirects plain HTTP", async () => {
    const name = `app.${scenario.zone}`;
    const created = await createHost({ domain_names: [name], certificate_id: "new", ssl_forced: true, meta: { dns_provider_id: providerId } });
    app = { id: created.id, certificate_id: created.certificate_id, name };
    await expect
      .poll(async () => (await scenario.call("GET", `/nginx/certificates/${app.certificate_id}`)).body.status, { timeout: 60_000, interval: 250 })
      .toBe("active");
    await eventually(() => viaHttps(ports.https, name, "/s?q=1", pebbleRoot), "200 upstream-1 /s?q=1");
    const plain = await viaProxy(ports.http, name, "/s?q=1");
    expect(plain?.status).toBe(301);
    expect(plain?.headers.location).toBe(`https://${name}:${ports.https}/s?q=1`);
    // The report follows the apply: the one before said the certificate was not issued yet.
    await eventually(async () => JSON.stringify(await reported(app.id)), JSON.stringify({ status: "applied", error: null, note: null }));
    // A name no host serves gets no answer, neither over HTTP nor in a TLS handshake.
    expect(await viaHttp(ports.http, `nobody.${scenario.zone}`)).toBeNull();
    expect(await viaHttps(ports.https, `nobody.${scenario.zone}`, "/", pebbleRoot)).toBeNull();
  });

  it("moves traffic to upstream 2 when the host's forward_port changes", async () => {
    expect((await scenario.call("PUT", `/nginx/proxy-hosts/${app.id}`, { forward_port: scenario.upstreams[1]!.port })).status).toBe(200);
    await eventually(() => viaHttps(ports.https, app.name, "/b", pebbleRoot), "200 upstream-2 /b");
  });

  it("offers HTTP/2 and sends HSTS once the host asks for them", async () => {
    expect(await alpn(app.name)).toBe("http/1.1");
    expect((await viaProxy(ports.https, app.name, "/h", pebbleRoot))?.headers["strict-transport-security"]).toBeUndefined();
    expect((await scenario.call("PUT", `/nginx/proxy-hosts/${app.id}`, { http2_support: true, hsts_enabled: true })).status).toBe(200);
    await eventually(() => alpn(app.name), "h2");
    expect((await viaProxy(ports.https, app.name, "/h", pebbleRoot))?.headers["strict-transport-security"]).toBe("max-age=63072000; preload");
    expect((await viaProxy(ports.http, app.name, "/h"))?.headers["strict-transport-security"]).toBeUndefined();
  });

  it("serves the other hosts when one host's upstream name does not resolve", async () => {
    const dead = await createHost({ domain_names: [`dead.${scenario.zone}`], forward_host: `nowhere.${scenario.zone}` });
    aliveId = (await createHost({ domain_names: [`alive.${scenario.zone}`] })).id;
    await eventually(() => viaHttp(ports.http, `alive.${scenario.zone}`, "/a"), "200 upstream-1 /a");
    expect((await viaProxy(ports.http, `dead.${scenario.zone}`, "/"))?.status).toBe(502);
    await eventually(async () => (await reported(dead.id))?.status ?? null, "applied");
    expect(await viaHttps(ports.https, app.name, "/c", pebbleRoot)).toBe("200 upstream-2 /c");
  });

  it("reports a WAF host as unsupported by this driver and still serves it", async () => {
    const waf = await createHost({ domain_names: [`waf.${scenario.zone}`], waf_enabled: true, waf_mode: "block" });
    await eventually(() => viaHttp(ports.http, `waf.${scenario.zone}`, "/search?id=1%27%20OR%20%271%27=%271"), "200 upstream-1 /search?id=1%27%20OR%20%271%27=%271");
    await eventually(async () => (await reported(waf.id))?.note ?? null, "WAF unsupported by this driver");
    expect((await reported(waf.id))?.status).toBe("applied");
    const status = await scenario.call("GET", "/security/waf");
    expect(status.body.hosts.block.find((h: { id: number }) => h.id === waf.id)?.reported).toEqual([{ agent_id: AGENT_ID, driver: "caddy", waf_mode: "unsupported" }]);
  });

  it("reports a host whose configuration Caddy refuses, with Caddy's error, while the others keep serving", async () => {
    // A negative lookahead: nginx's PCRE takes it, Go's regular expressions (Caddy's) do not.
    const refused = await createHost({
      domain_names: [`refused.${scenario.zone}`],
      locations: [{ path: "~ ^/(?!private)", forward_host: "127.0.0.1", forward_port: scenario.upstreams[1]!.port }],
    });
    await eventually(async () => (await reported(refused.id))?.status ?? null, "failed");
    const caddyError = /provision http\.matchers\.path_regexp: compiling matcher regexp \^\/\(\?!private\): error parsing regexp: invalid or unsupported Perl syntax/;
    expect((await reported(refused.id))?.error).toMatch(new RegExp(`^${caddyError.source}`));
    const meta = (await scenario.call("GET", `/nginx/proxy-hosts/${refused.id}`)).body.meta;
    expect(meta.nginx_online).toBe(false);
    expect(meta.nginx_err).toMatch(new RegExp(`^${AGENT_ID}: ${caddyError.source}`));
    expect(await viaHttp(ports.http, `refused.${scenario.zone}`)).toBeNull();
    expect(await viaHttps(ports.https, app.name, "/d", pebbleRoot)).toBe("200 upstream-2 /d");
    expect(await viaHttp(ports.http, `alive.${scenario.zone}`, "/d")).toBe("200 upstream-1 /d");
  });

  it("refuses an address CrowdSec bans, in every host, lists the ban, and serves the address again once it is lifted", async () => {
    const alive = `alive.${scenario.zone}`;
    expect(await viaProxy(ports.http, alive, "/", undefined, "127.0.0.2").then((a) => a?.status)).toBe(200);
    await crowdsec.addDecision({ ip: "127.0.0.2" });
    await eventually(async () => (await viaProxy(ports.http, alive, "/", undefined, "127.0.0.2"))?.status, 403);
    expect((await viaProxy(ports.https, app.name, "/", pebbleRoot, "127.0.0.2"))?.status).toBe(403);
    expect(await viaHttp(ports.http, alive, "/f")).toBe("200 upstream-1 /f");
    await eventually(async () => (await scenario.call("GET", "/security/crowdsec/decisions?ip=127.0.0.2")).body.map((d: { agent: string }) => d.agent).join(), AGENT_ID);
    await crowdsec.deleteDecisions({ ip: "127.0.0.2" });
    await eventually(async () => (await viaProxy(ports.http, alive, "/", undefined, "127.0.0.2"))?.status, 200);
  });

  it("serves a renewed certificate without a manual step", async () => {
    const stored = async () => hex((await scenario.call("GET", `/nginx/certificates/${app.certificate_id}`)).body.serial);
    const before = await stored();
    expect(await servedSerial(app.name)).toBe(before);
    expect((await scenario.call("POST", `/nginx/certificates/${app.certificate_id}/renew`)).status).toBe(200);
    await expect.poll(stored, { timeout: 60_000, interval: 250 }).not.toBe(before);
    await eventually(() => servedSerial(app.name), await stored());
  });

  it("stops serving a host once it is deleted", async () => {
    expect((await scenario.call("DELETE", `/nginx/proxy-hosts/${app.id}`)).status).toBe(200);
    await eventually(() => viaHttps(ports.https, app.name, "/gone", pebbleRoot), null);
    expect(await viaHttp(ports.http, app.name, "/gone")).toBeNull();
    expect(await viaHttp(ports.http, `alive.${scenario.zone}`, "/e")).toBe("200 upstream-1 /e");
  });

  it("serves a change made while Caddy was down once Caddy is back, started without its configuration", async () => {
    const alive = `alive.${scenario.zone}`;
    const proxyError = async () => {
      const listed = (await scenario.call("GET", "/v1/agents", undefined, scenario.agentToken)).body as { agent_id: string; proxy_error: string | null }[];
      return listed.find((a) => a.agent_id === AGENT_ID)?.proxy_error ?? null;
    };
    const admin = caddy.adminAddress;
    await caddy.stop();
    expect((await scenario.call("PUT", `/nginx/proxy-hosts/${aliveId}`, { forward_port: scenario.upstreams[1]!.port })).status).toBe(200);
    await eventually(async () => /^Caddy's admin API did not answer/.test((await proxyError()) ?? ""), true);
    // Caddy's own configuration, its admin API alone (as a service restarted without `--config caddy.json`).
    const empty = join(scenario.work, "caddy-empty.json");
    await writeFile(empty, JSON.stringify({ admin: { listen: admin } }));
    caddy = await startCaddy({ configFile: empty, adminAddress: admin });
    // No change in the API since: the agent applies the same snapshot again while the last one was not taken.
    await eventually(() => viaHttp(ports.http, alive, "/back"), "200 upstream-2 /back");
    await eventually(proxyError, null);
  });
});

describe("the Caddy driver when Caddy cannot take the document", () => {
  let own: RunningCaddy;
  beforeAll(async () => {
    own = await startCaddy();
  }, 60_000);
  afterAll(async () => own?.stop());

  const snapshot = (etag: string, port: number): Snapshot => ({
    etag,
    proxy_hosts: [host({ id: 1, domain_names: ["app.customer-a.test"], forward_port: port })],
    certificates: [],
  });

  it("reports a Caddy that does not answer, and keeps what it would load for Caddy's start", async () => {
    const admin = `127.0.0.1:${await freePort()}`;
    const confDir = join(scenario.work, "caddy-down");
    const httpPort = await freePort();
    const driver = new CaddyDriver({ confDir, adminAddress: admin, caddyBin: await caddyBinary(), listenAddress: "127.0.0.1", httpPort, httpsPort: await freePort(), resolvers: [inject("powerdnsDnsAddress")] });
    const result = await driver.apply(snapshot('"1"', scenario.upstreams[0]!.port));
    expect(result.proxy_error).toBe(`Caddy's admin API did not answer: ${admin}: ECONNREFUSED`);
    expect(result.reloaded).toBe(false);
    expect(result.trials).toBe(1);
    // As with nginx not running: the host is in the configuration Caddy starts with.
    expect(result.hosts).toEqual([{ id: 1, status: "applied", error: null, serving: "desired", tls: false, waf_mode: null, note: null }]);
    const started = await startCaddy({ configFile: driver.configFile, adminAddress: admin });
    try {
      expect(await viaHttp(httpPort, "app.customer-a.test", "/started")).toBe("200 upstream-1 /started");
    } finally {
      await started.stop();
    }

    // Caddy started again without that configuration (its own, admin API alone): the same snapshot,
    // applied again (as the agent does on every poll while the last apply had a proxy_error), is loaded.
    const empty = join(confDir, "..", "caddy-down-empty.json");
    await writeFile(empty, JSON.stringify({ admin: { listen: admin } }));
    const restarted = await startCaddy({ configFile: empty, adminAddress: admin });
    try {
      expect(await viaHttp(httpPort, "app.customer-a.test", "/empty")).toBeNull();
      const again = await driver.apply(snapshot('"1"', scenario.upstreams[0]!.port));
      expect(again.proxy_error).toBeNull();
      expect(again.reloaded).toBe(true);
      expect(again.hosts).toEqual([{ id: 1, status: "applied", error: null, serving: "desired", tls: false, waf_mode: null, note: null }]);
      expect(await viaHttp(httpPort, "app.customer-a.test", "/back")).toBe("200 upstream-1 /back");
    } finally {
      await restarted.stop();
    }
  });

  it("keeps the last good document serving when Caddy refuses the new one as a whole (a port taken)", async () => {
    const confDir = join(scenario.work, "caddy-own");
    const options = { confDir, adminAddress: own.adminAddress, caddyBin: await caddyBinary(), listenAddress: "127.0.0.1", httpsPort: await freePort(), resolvers: [inject("powerdnsDnsAddress")] };
    const httpPort = await freePort();
    const first = await new CaddyDriver({ ...options, httpPort }).apply(snapshot('"1"', scenario.upstreams[0]!.port));
    expect(first.proxy_error).toBeNull();
    expect(await viaHttp(httpPort, "app.customer-a.test", "/a")).toBe("200 upstream-1 /a");

    // The agent restarted with an HTTP port something else holds: `caddy validate` cannot see it, the load fails.
    const squatter = createServer().listen(0, "127.0.0.1");
    await once(squatter, "listening");
    const taken = (squatter.address() as { port: number }).port;
    const second = await new CaddyDriver({ ...options, httpPort: taken }).apply(snapshot('"2"', scenario.upstreams[1]!.port));
    squatter.close();
    expect(second.proxy_error).toMatch(/address already in use/);
    expect(second.hosts).toEqual([{ id: 1, status: "failed", error: second.proxy_error, serving: "previous", tls: false, waf_mode: null, note: null }]);
    expect(second.trials).toBe(1);
    expect(await viaHttp(httpPort, "app.customer-a.test", "/b")).toBe("200 upstream-1 /b");
  });
});

describe("the Caddy driver on its own: WebSockets, CrowdSec's bans", () => {
  let own: RunningCaddy;
  let upstream: ReturnType<typeof createHttpServer>;
  beforeAll(async () => {
    own = await startCaddy();
    // An upstream that accepts every upgrade (101) and answers other requests with 200 and the Host it got.
    upstream = createHttpServer((req, res) => res.end(`host ${req.headers.host}`)).listen(0, "127.0.0.1");
    upstream.on("upgrade", (_, socket) => socket.end("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"));
    await once(upstream, "listening");
  }, 60_000);
  afterAll(async () => {
    await own?.stop();
    upstream?.close();
  });

  /** The status a WebSocket handshake for `name` gets through Caddy on `port` (101: upgraded). */
  const handshake = (port: number, name: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: "/socket", agent: false, headers: { host: name, connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" } });
      req.on("upgrade", (response, socket) => {
        socket.destroy();
        resolve(response.statusCode ?? 0);
      });
      req.on("response", (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });

  it("passes upgrades for a host with allow_websocket_upgrade, and not for one without", async () => {
    const port = (upstream.address() as { port: number }).port;
    const httpPort = await freePort();
    const driver = new CaddyDriver({ confDir: join(scenario.work, "caddy-ws"), adminAddress: own.adminAddress, caddyBin: await caddyBinary(), listenAddress: "127.0.0.1", httpPort, httpsPort: await freePort(), resolvers: [inject("powerdnsDnsAddress")] });
    const result = await driver.apply({
      etag: '"ws"',
      proxy_hosts: [
        host({ id: 1, domain_names: ["ws.customer-a.test"], forward_port: port, allow_websocket_upgrade: true }),
        host({ id: 2, domain_names: ["plain.customer-a.test"], forward_port: port, allow_websocket_upgrade: false }),
      ],
      certificates: [],
    });
    expect(result.proxy_error).toBeNull();
    expect(await handshake(httpPort, "ws.customer-a.test")).toBe(101);
    expect(await handshake(httpPort, "plain.customer-a.test")).toBe(200);
  });

  it("sends the upstream the host name without the client's port, as the nginx driver does ($host)", async () => {
    const port = (upstream.address() as { port: number }).port;
    const httpPort = await freePort();
    const driver = new CaddyDriver({ confDir: join(scenario.work, "caddy-host"), adminAddress: own.adminAddress, caddyBin: await caddyBinary(), listenAddress: "127.0.0.1", httpPort, httpsPort: await freePort(), resolvers: [inject("powerdnsDnsAddress")] });
    const name = "shop.customer-a.test";
    expect((await driver.apply({ etag: '"host"', proxy_hosts: [host({ id: 1, domain_names: [name], forward_port: port })], certificates: [] })).proxy_error).toBeNull();
    expect(await viaHttp(httpPort, `${name}:${httpPort}`)).toBe(`200 host ${name}`);
  });

  /** What Caddy on `port` answers for `name` to a client at `from` (a loopback address). */
  const from = (port: number, name: string, address: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: "/", localAddress: address, agent: false, headers: { host: name } }, (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve(`${response.statusCode} ${body}`));
      });
      req.on("error", reject);
      req.end();
    });

  it("refuses CrowdSec's banned addresses and networks in every host, and lifts a ban", async () => {
    const httpPort = await freePort();
    const driver = new CaddyDriver({ confDir: join(scenario.work, "caddy-deny"), adminAddress: own.adminAddress, caddyBin: await caddyBinary(), listenAddress: "127.0.0.1", httpPort, httpsPort: await freePort(), resolvers: [inject("powerdnsDnsAddress")] });
    const name = "shop.customer-a.test";
    expect((await driver.apply({ etag: '"deny"', proxy_hosts: [host({ id: 1, domain_names: [name], forward_port: scenario.upstreams[0]!.port })], certificates: [] })).proxy_error).toBeNull();
    expect(await from(httpPort, name, "127.0.0.2")).toBe("200 upstream-1 /");

    expect(await driver.applyDenyList(["127.0.0.2", "127.0.1.0/24"])).toEqual({ applied: true, error: null });
    expect(await from(httpPort, name, "127.0.0.2")).toBe("403 ");
    expect(await from(httpPort, name, "127.0.1.7")).toBe("403 ");
    expect(await from(httpPort, name, "127.0.0.1")).toBe("200 upstream-1 /");

    // A list the driver cannot write changes nothing; lifting the bans serves the address again.
    expect(await driver.applyDenyList(["127.0.0.2/x"])).toEqual({ applied: false, error: "'127.0.0.2/x' is not an address or a CIDR" });
    expect(await from(httpPort, name, "127.0.0.2")).toBe("403 ");
    expect(await driver.applyDenyList([])).toEqual({ applied: true, error: null });
    expect(await from(httpPort, name, "127.0.0.2")).toBe("200 upstream-1 /");
  });
});
