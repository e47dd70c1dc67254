import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import type { TLSSocket } from "node:tls";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { NginxDriver, type ApplyResult, type NginxDriverOptions, type Snapshot, type SnapshotCertificate, type SnapshotHost } from "@charon/agent";
import { freePort, type RunningService } from "@charon/local";
import { host } from "../../packages/agent/test/hosts.js";
import { nginxBinary, nginxWorkerUser, requireWaf, startNginx } from "../harness/nginx.js";

/**
 * Issue 11's nginx driver against a real nginx (Debian's, with ModSecurity v3 and the OWASP Core
 * Rule Set) on loopback ports, in front of two loopback upstreams that echo who they are and the
 * path they were asked for. Each step applies a snapshot as the API publishes it and then asks
 * nginx over HTTP(S) what a client would get.
 */
const SQL_INJECTION = "/search?id=1%27%20OR%20%271%27=%271";

let nginx: RunningService;
let driver: NginxDriver;
let options: NginxDriverOptions;
let confDir: string;
let ports: { http: number; https: number };
const upstreams: { port: number; server: Server }[] = [];
let hosts: SnapshotHost[] = [];
let certificates: SnapshotCertificate[] = [];

async function apply(): Promise<ApplyResult> {
  const snapshot: Snapshot = { etag: `"${Date.now()}"`, proxy_hosts: hosts, certificates };
  return driver.apply(snapshot);
}

function put(id: number, changes: Partial<SnapshotHost>): void {
  hosts = hosts.map((h) => (h.id === id ? { ...h, ...changes } : h));
}

function reportOf(result: ApplyResult, id: number) {
  const report = result.hosts.find((h) => h.id === id);
  if (!report) throw new Error(`no report for host ${id}: ${JSON.stringify(result)}`);
  return report;
}

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  certificate?: X509Certificate;
}

/** A request as a browser for `name` would send it; a closed connection rejects. */
function get(name: string, path: string, options: { tls?: { ca: string } } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const common = { host: "127.0.0.1", path, headers: { host: name }, agent: false as const };
    const callback = (response: IncomingMessage) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => {
        const socket = response.socket as TLSSocket;
        const raw = options.tls ? socket.getPeerX509Certificate?.() : undefined;
        resolve({ status: response.statusCode ?? 0, body, headers: response.headers, ...(raw ? { certificate: raw } : {}) });
      });
    };
    const req = options.tls
      ? httpsRequest({ ...common, port: ports.https, servername: name, ca: options.tls.ca }, callback)
      : httpRequest({ ...common, port: ports.http }, callback);
    req.on("error", reject);
    req.setTimeout(10_000, () => req.destroy(new Error("timed out")));
    req.end();
  });
}

async function selfSignedCertificate(name: string, directory: string, tag: string): Promise<{ certificate: string; key: string }> {
  const key = join(directory, `${tag}.key`);
  const certificate = join(directory, `${tag}.crt`);
  await promisify(execFile)("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30",
    "-subj", `/CN=${name}`, "-addext", `subjectAltName=DNS:${name}`, "-keyout", key, "-out", certificate,
  ]);
  return { certificate: await readFile(certificate, "utf8"), key: await readFile(key, "utf8") };
}

beforeAll(async () => {
  for (const name of ["upstream-1", "upstream-2"]) {
    const server = createServer((request, response) => response.end(`${name} ${request.url}`));
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    upstreams.push({ port, server });
  }
  ports = { http: await freePort(), https: await freePort() };
  confDir = await mkdtemp(join(tmpdir(), "charon-agent-nginx-"));
  const [dnsHost, dnsPort] = inject("powerdnsDnsAddress").split(":");
  options = {
    confDir: join(confDir, "conf"),
    runDir: join(confDir, "run"),
    nginxBin: await nginxBinary(),
    listenAddress: "127.0.0.1",
    httpPort: ports.http,
    httpsPort: ports.https,
    // Names are resolved by the run's PowerDNS, which knows none of the upstream names below.
    resolvers: [`${dnsHost}:${dnsPort}`],
    user: nginxWorkerUser(),
    waf: await requireWaf(),
  };
  driver = new NginxDriver(options);
  // nginx is not running yet: the agent says so instead of failing.
  const first = await apply();
  expect(first.proxy_error).toMatch(/reload failed/);
  nginx = await startNginx({ configFile: driver.mainConfigFile, httpPort: ports.http });
});

afterAll(async () => {
  await nginx?.stop();
  await Promise.all(upstreams.map(({ server }) => new Promise((resolve) => server.close(resolve))));
});

describe("the nginx driver against a real nginx", () => {
  it("reloads an nginx that was not running at the last apply, though nothing changed since", async () => {
    // The agent applies the same snapshot again on its next poll while the last one had a proxy_error.
    expect(await apply()).toMatchObject({ reloaded: true, proxy_error: null, trials: 0 });
    expect(await apply()).toMatchObject({ reloaded: false, proxy_error: null, trials: 0 });
  });

  it("routes a host to its upstream, with forward_path, and moves it when the port changes", async () => {
    hosts = [host({ id: 1, domain_names: ["app.customer-a.test"], forward_port: upstreams[0]!.port, forward_path: "/app/" })];
    const result = await apply();
    expect(reportOf(result, 1)).toMatchObject({ status: "applied", serving: "desired", error: null });
    expect(result.reloaded).toBe(true);
    expect(result.proxy_error).toBeNull();
    expect((await get("app.customer-a.test", "/orders?page=2")).body).toBe("upstream-1 /app/orders?page=2");

    put(1, { forward_port: upstreams[1]!.port });
    expect(reportOf(await apply(), 1).status).toBe("applied");
    expect((await get("app.customer-a.test", "/orders")).body).toBe("upstream-2 /app/orders");
  });

  it("applies nothing and does not reload when nothing changed", async () => {
    const result = await apply();
    expect(result).toMatchObject({ reloaded: false, trials: 0 });
  });

  it("a host whose advanced_config nginx refuses is reported with nginx's error, keeps its last good version, and the others keep serving", async () => {
    hosts = [hosts[0]!, host({ id: 2, domain_names: ["b.customer-a.test"], forward_port: upstreams[0]!.port })];
    await apply();
    expect((await get("b.customer-a.test", "/")).body).toBe("upstream-1 /");

    put(2, { advanced_config: "proxy_bogus_directive on;", forward_port: upstreams[1]!.port });
    put(1, { forward_path: "/v2/" });
    const result = await apply();
    expect(reportOf(result, 2)).toMatchObject({ status: "failed", serving: "previous" });
    expect(reportOf(result, 2).error).toMatch(/unknown directive "proxy_bogus_directive" in hosts\/2\.conf:\d+/);
    expect(reportOf(result, 1)).toMatchObject({ status: "applied", serving: "desired" });
    // Host 1's change went live in the same apply; host 2 still serves its previous upstream.
    expect((await get("app.customer-a.test", "/x")).body).toBe("upstream-2 /v2/x");
    expect((await get("b.customer-a.test", "/")).body).toBe("upstream-1 /");
  });

  it("finds the broken host among many without testing each one on its own", async () => {
    // Host 2 is mended in the same apply: 33 changed hosts, one of them broken.
    put(2, { advanced_config: "" });
    const many = Array.from({ length: 32 }, (_, i) =>
      host({ id: 100 + i, domain_names: [`h${i}.customer-b.test`], forward_port: upstreams[0]!.port, ...(i === 11 ? { advanced_config: "return;" } : {}) }),
    );
    hosts = [...hosts, ...many];
    const result = await apply();
    expect(result.hosts.filter((h) => h.status === "failed").map((h) => h.id)).toEqual([111]);
    expect(reportOf(result, 111)).toMatchObject({ serving: "none" });
    expect(reportOf(result, 111).error).toMatch(/invalid number of arguments in "return" directive in hosts\/111\.conf:\d+/);
    // All together, the shared part alone, then about two trials per halving.
    expect(result.trials).toBeLessThanOrEqual(2 + 2 * Math.ceil(Math.log2(33)));
    expect((await get("h3.customer-b.test", "/")).body).toBe("upstream-1 /");
    expect((await get("b.customer-a.test", "/")).body).toBe("upstream-2 /");
    await expect(get("h11.customer-b.test", "/")).rejects.toThrow();
  });

  it("a host whose upstream name does not resolve fails only its own requests", async () => {
    hosts = [...hosts.filter((h) => h.id < 100), host({ id: 3, domain_names: ["gone.customer-a.test"], forward_host: "no-such-upstream.invalid", forward_port: 80 })];
    const result = await apply();
    expect(reportOf(result, 3)).toMatchObject({ status: "applied" });
    expect((await get("gone.customer-a.test", "/")).status).toBe(502);
    expect((await get("app.customer-a.test", "/y")).body).toBe("upstream-2 /v2/y");
  });

  it("the WAF blocks a SQL injection probe in block mode and only watches in monitor mode", async () => {
    hosts = [...hosts, host({ id: 4, domain_names: ["waf.customer-a.test"], forward_port: upstreams[0]!.port, waf_enabled: true, waf_mode: "block" })];
    const block = await apply();
    expect(reportOf(block, 4)).toMatchObject({ status: "applied", waf_mode: "block" });
    expect((await get("waf.customer-a.test", "/search?id=42")).status).toBe(200);
    expect((await get("waf.customer-a.test", SQL_INJECTION)).status).toBe(403);
    // Hosts without the WAF are not touched by it.
    expect((await get("app.customer-a.test", SQL_INJECTION)).status).toBe(200);

    put(4, { waf_mode: "monitor" });
    const monitor = await apply();
    expect(reportOf(monitor, 4)).toMatchObject({ status: "applied", waf_mode: "monitor" });
    expect((await get("waf.customer-a.test", "/search?id=42")).status).toBe(200);
    expect((await get("waf.customer-a.test", SQL_INJECTION)).body).toBe(`upstream-1 ${SQL_INJECTION}`);
  });

  it("serves HTTPS with the host's certificate, redirects plain HTTP, and serves a renewed certificate after the next apply", async () => {
    const name = "secure.customer-a.test";
    const first = await selfSignedCertificate(name, confDir, "first");
    certificates = [{ id: 7, domain_names: [name], expires_on: "2026-12-29T00:00:00.000Z", fullchain_pem: first.certificate, private_key_pem: first.key }];
    hosts = [...hosts, host({ id: 5, domain_names: [name], forward_port: upstreams[1]!.port, certificate_id: 7, ssl_forced: true, http2_support: true, hsts_enabled: true })];
    const result = await apply();
    expect(reportOf(result, 5)).toMatchObject({ status: "applied", tls: true });

    const redirect = await get(name, "/login?next=%2F");
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe(`https://${name}:${ports.https}/login?next=%2F`);
    const secure = await get(name, "/login", { tls: { ca: first.certificate } });
    expect(secure.body).toBe("upstream-2 /login");
    expect(secure.headers["strict-transport-security"]).toBe("max-age=63072000; preload");
    expect(secure.certificate?.serialNumber).toBe(new X509Certificate(first.certificate).serialNumber);
    const keyFile = join(confDir, "conf", "live", "certs", "5", "privkey.pem");
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);

    const renewed = await selfSignedCertificate(name, confDir, "renewed");
    certificates = [{ ...certificates[0]!, expires_on: "2027-01-29T00:00:00.000Z", fullchain_pem: renewed.certificate, private_key_pem: renewed.key }];
    expect((await apply()).reloaded).toBe(true);
    const after = await get(name, "/", { tls: { ca: renewed.certificate } });
    expect(after.certificate?.serialNumber).toBe(new X509Certificate(renewed.certificate).serialNumber);
  });

  it("a host deleted from the snapshot is no longer served; a restarted agent knows what nginx serves", async () => {
    hosts = hosts.filter((h) => h.id !== 3);
    await apply();
    await expect(get("gone.customer-a.test", "/")).rejects.toThrow();

    const restarted = new NginxDriver(options);
    const result = await restarted.apply({ etag: '"same"', proxy_hosts: hosts, certificates });
    // The same desired state as before the restart: nothing to test or reload.
    expect(result).toMatchObject({ reloaded: false, trials: 0 });
    expect(result.hosts.every((h) => h.status === "applied" && h.serving === "desired")).toBe(true);
    expect(reportOf(result, 4).waf_mode).toBe("monitor");
    expect((await get("app.customer-a.test", "/z")).body).toBe("upstream-2 /v2/z");
  });
});
