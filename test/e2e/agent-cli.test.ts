import { once } from "node:events";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort, type RunningService } from "@charon/local";
import { nginxBinary, nginxWorkerUser, startNginx } from "../harness/nginx.js";
import {
  eventually,
  runAgent as runAgentCommand,
  startAgentScenario,
  stopAgent,
  viaHttp,
  viaHttps,
  viaProxy,
  type AgentScenario,
  type RunningAgent,
} from "../support/agent-scenario.js";

/**
 * Issue 11 end to end: the API as `npm start` runs it (certificates from the run's Pebble through
 * its PowerDNS), the `charon-agent` command polling it every second, Debian's nginx serving what
 * the agent applied, two loopback upstreams. Changes made through the API reach nginx without a
 * manual step (a port change, the WAF in block and monitor mode, a new host, a deletion); the
 * agent's reports come back to the API as hosts' `meta.nginx_online` / `nginx_err` and the WAF
 * status; a refused `advanced_config` or an unresolvable upstream never stops the other hosts; a
 * certificate's key reaches nginx sealed to the agent's approved key, and its renewal is served;
 * with the API gone nginx keeps serving, and a restarted agent applies its cached snapshot.
 */
/** A SQL injection probe the Core Rule Set scores above the block threshold. */
const SQL_INJECTION = "/search?id=1%27%20OR%20%271%27=%271";

let scenario: AgentScenario;
let nginx: RunningService | undefined;
let ports: { http: number; https: number };
const agents: RunningAgent[] = [];

const call: AgentScenario["call"] = (...args) => scenario.call(...args);

/** What nginx answers for `name` (null: it closed the connection, no host serves the name). */
const viaNginx = (name: string, path = "/") => viaHttp(ports.http, name, path);

/** What nginx answers over HTTPS for `name`, trusting only `ca` (null: no TLS answer). */
const viaNginxTls = (name: string, path: string, ca: string) => viaHttps(ports.https, name, path, ca);

function agentArgs(stateDir: string, confDir: string): string[] {
  const [dnsHost, dnsPort] = inject("powerdnsDnsAddress").split(":");
  return [
    "--api-url", `${scenario.api.origin}/api`,
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
async function runAgent(args: string[]): Promise<RunningAgent> {
  const agent = runAgentCommand(args, { CHARON_AGENT_TOKEN: scenario.agentToken, CHARON_AGENT_NGINX_BIN: await nginxBinary() });
  agents.push(agent);
  return agent;
}

beforeAll(async () => {
  scenario = await startAgentScenario("agent");
  ports = { http: await freePort(), https: await freePort() };
});

afterAll(async () => {
  await Promise.all(agents.map(({ child }) => stopAgent(child)));
  await nginx?.stop();
  await scenario?.close();
});

describe("charon-agent between the API and nginx", () => {
  it("applies what the API says, follows changes, reports back, and keeps serving without the API", async () => {
    const created = await call("POST", "/nginx/proxy-hosts", { domain_names: ["app.customer-a.test"], forward_host: "127.0.0.1", forward_port: scenario.upstreams[0]!.port });
    expect(created.status).toBe(201);
    const stateDir = join(scenario.work, "state");
    const confDir = join(scenario.work, "nginx");

    // --once writes the tree nginx starts from (the reload finds no nginx yet: reported, exit 0).
    const first = await runAgent([...agentArgs(stateDir, confDir), "--once"]);
    const [code] = (await once(first.child, "exit")) as [number];
    expect(code, first.output()).toBe(0);
    expect(first.output()).toMatch(/"proxy_error":"reload failed/);
    nginx = await startNginx({ configFile: join(confDir, "live", "nginx.conf"), httpPort: ports.http });
    expect(await viaNginx("app.customer-a.test", "/a")).toBe("200 upstream-1 /a");

    const daemon = await runAgent(agentArgs(stateDir, confDir));
    await call("PUT", `/nginx/proxy-hosts/${created.body.id}`, { forward_port: scenario.upstreams[1]!.port });
    await eventually(() => viaNginx("app.customer-a.test", "/b"), "200 upstream-2 /b");

    // A host nginx refuses is reported with nginx's error; the other keeps serving.
    const broken = await call("POST", "/nginx/proxy-hosts", {
      domain_names: ["broken.customer-a.test"], forward_host: "127.0.0.1", forward_port: scenario.upstreams[0]!.port, advanced_config: "proxy_no_such_thing on;",
    });
    expect(broken.status).toBe(201);
    const reportOf = async () => {
      const listed = await call("GET", "/v1/agents", undefined, scenario.agentToken);
      const agent = listed.body.find((a: { agent_id: string }) => a.agent_id === "edge-e2e");
      const host = agent?.hosts.find((h: { id: number }) => h.id === broken.body.id);
      const problem = agent?.problems.find((p: { id: number }) => p.id === broken.body.id);
      return agent?.in_sync && host ? `${host.status}: ${problem?.error}` : "not yet";
    };
    await eventually(async () => (await reportOf()).startsWith("failed"), true);
    expect(await reportOf()).toMatch(new RegExp(`^failed: \\[emerg\\] unknown directive "proxy_no_such_thing" in hosts/${broken.body.id}\\.conf:\\d+$`));
    expect(await viaNginx("app.customer-a.test", "/c")).toBe("200 upstream-2 /c");
    expect(daemon.output()).not.toContain(scenario.agentToken);
    // The report is the hosts' state in Nginx Proxy Manager's fields: the refused one offline with nginx's line, naming the agent.
    expect((await call("GET", `/nginx/proxy-hosts/${broken.body.id}`)).body.meta).toEqual({
      nginx_online: false,
      nginx_err: expect.stringMatching(new RegExp(`^edge-e2e: \\[emerg\\] unknown directive "proxy_no_such_thing" in hosts/${broken.body.id}\\.conf:\\d+$`)),
    });
    expect((await call("GET", `/nginx/proxy-hosts/${created.body.id}`)).body.meta).toEqual({ nginx_online: true, nginx_err: null });

    // The WAF through the API: block makes a SQL injection probe a 403 while a clean request passes; monitor lets both pass.
    const status = async (name: string, path: string) => (await viaProxy(ports.http, name, path))?.status ?? null;
    await call("PUT", `/nginx/proxy-hosts/${created.body.id}`, { waf_enabled: true, waf_mode: "block" });
    await eventually(() => status("app.customer-a.test", SQL_INJECTION), 403);
    expect(await viaNginx("app.customer-a.test", "/search?id=42")).toBe("200 upstream-2 /search?id=42");
    const wafOf = async (mode: string) =>
      (await call("GET", "/security/waf")).body.hosts[mode].find((h: { id: number }) => h.id === created.body.id)?.reported ?? null;
    await eventually(async () => JSON.stringify(await wafOf("block")), JSON.stringify([{ agent_id: "edge-e2e", driver: "nginx", waf_mode: "block" }]));
    await call("PUT", `/nginx/proxy-hosts/${created.body.id}`, { waf_mode: "monitor" });
    await eventually(() => status("app.customer-a.test", SQL_INJECTION), 200);
    await eventually(async () => JSON.stringify(await wafOf("monitor")), JSON.stringify([{ agent_id: "edge-e2e", driver: "nginx", waf_mode: "monitor" }]));

    // An upstream name that does not resolve fails that host's requests only.
    const ghost = await call("POST", "/nginx/proxy-hosts", { domain_names: ["ghost.customer-a.test"], forward_host: "no-such-upstream.invalid", forward_port: 80 });
    expect(ghost.status).toBe(201);
    await eventually(() => status("ghost.customer-a.test", "/"), 502);
    expect(await viaNginx("app.customer-a.test", "/g")).toBe("200 upstream-2 /g");

    // HTTPS: a certificate issued by Pebble (DNS-01 on PowerDNS) for a host, served once someone
    // who may download private keys approves the agent's key (its thumbprint is in its log).
    const providerId = await scenario.powerDnsProvider();
    const secureName = `secure.${scenario.zone}`;
    const secure = await call("POST", "/nginx/proxy-hosts", {
      domain_names: [secureName], forward_host: "127.0.0.1", forward_port: scenario.upstreams[0]!.port, certificate_id: "new", ssl_forced: true,
      meta: { dns_provider_id: providerId },
    });
    expect(secure.status, JSON.stringify(secure.body)).toBe(201);
    await expect
      .poll(async () => (await call("GET", `/nginx/certificates/${secure.body.certificate_id}`)).body.status, { timeout: 60_000, interval: 250 })
      .toBe("active");
    const pebbleRoot = await scenario.pebbleRoot();
    // Not approved yet: the host is served over plain HTTP only.
    await eventually(() => viaNginx(secureName, "/plain"), "200 upstream-1 /plain");
    const thumbprint = /"key_thumbprint":"([A-Za-z0-9_-]{43})"/.exec(daemon.output())?.[1];
    expect(thumbprint).toBeDefined();
    const approval = await call("POST", "/v1/agents/edge-e2e/key/approve", { thumbprint });
    expect(approval.status, JSON.stringify(approval.body)).toBe(200);
    await eventually(() => viaNginxTls(secureName, "/s", pebbleRoot), "200 upstream-1 /s");
    expect(await viaNginx(secureName, "/s")).toMatch(/^301 /);

    // A renewal through the API is served without a manual step: the agent sees the new chain and reloads.
    const servedSerial = async () => (await viaProxy(ports.https, secureName, "/r", pebbleRoot))?.certificate?.serialNumber ?? null;
    const firstSerial = await servedSerial();
    expect(firstSerial).not.toBeNull();
    expect((await call("POST", `/nginx/certificates/${secure.body.certificate_id}/renew`)).status).toBe(200);
    await expect.poll(servedSerial, { timeout: 60_000, interval: 250 }).not.toBe(firstSerial);
    expect(await viaNginxTls(secureName, "/r", pebbleRoot)).toBe("200 upstream-1 /r");

    // A deleted host is no longer served; the others are.
    expect((await call("DELETE", `/nginx/proxy-hosts/${ghost.body.id}`)).status).toBe(200);
    await eventually(() => status("ghost.customer-a.test", "/"), null);
    expect(await viaNginx("app.customer-a.test", "/h")).toBe("200 upstream-2 /h");

    // The API goes away: nginx keeps serving what was applied.
    await scenario.api.interrupt();
    await eventually(() => Promise.resolve(/snapshot not pulled; serving the last applied state/.test(daemon.output())), true);
    expect(await viaNginx("app.customer-a.test", "/d")).toBe("200 upstream-2 /d");

    // A restarted agent, the API still down, applies its cached snapshot to a fresh tree.
    await stopAgent(daemon.child);
    const freshConf = join(scenario.work, "nginx-fresh");
    const restarted = await runAgent([...agentArgs(stateDir, freshConf)]);
    await eventually(() => Promise.resolve(/"message":"applied"/.test(restarted.output())), true);
    await nginx.stop();
    nginx = await startNginx({ configFile: join(freshConf, "live", "nginx.conf"), httpPort: ports.http });
    expect(await viaNginx("app.customer-a.test", "/e")).toBe("200 upstream-2 /e");
    // The cached snapshot holds the key sealed; the agent's own key opens it again.
    expect(await viaNginxTls(secureName, "/e", pebbleRoot)).toBe("200 upstream-1 /e");
    await stopAgent(restarted.child);
  }, 180_000);
});
