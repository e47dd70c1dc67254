import { describe, expect, it } from "vitest";
import { CaddyRenderError, NOT_APPLIED, renderConfig, renderHost, type CaddyJson, type HostFragment } from "../src/drivers/caddy/render.js";
import type { SnapshotLocation } from "../src/snapshot.js";
import { host } from "./hosts.js";

const listen = { listenAddress: "127.0.0.1", httpPort: 8080, httpsPort: 8443, resolvers: ["127.0.0.53", "10.0.0.2:5353", "::1", "[::1]:5353", "dns.internal"] };
const options = { ...listen, adminAddress: "127.0.0.1:2019", storageDir: "/var/lib/charon-agent/caddy/data" };
const tls = (tag: string) => ({ certificateFile: `/c/${tag}/fullchain.pem`, keyFile: `/c/${tag}/privkey.pem`, tag });

function location(path: string, overrides: Partial<SnapshotLocation> = {}): SnapshotLocation {
  return { path, forward_scheme: "http", forward_host: "10.0.0.6", forward_port: 9000, forward_path: "", advanced_config: "", ...overrides };
}

/** The routes of a host's proxy subroute (its `http` handlers' last one). */
function subroutes(handle: CaddyJson[]): CaddyJson[] {
  const subroute = handle.find((h) => h["handler"] === "subroute");
  return (subroute?.["routes"] as CaddyJson[]) ?? [];
}

/** A route's path matcher, as `path` or `regexp`, and its upstream. */
function summary(route: CaddyJson): string {
  const matcher = (route["match"] as CaddyJson[] | undefined)?.[0];
  const path = matcher?.["path"] ? `path ${(matcher["path"] as string[]).join(",")}` : matcher?.["path_regexp"] ? `regexp ${(matcher["path_regexp"] as { pattern: string }).pattern}` : "any";
  const proxy = (route["handle"] as CaddyJson[]).find((h) => h["handler"] === "reverse_proxy");
  const dial = (proxy?.["upstreams"] as { dial: string }[] | undefined)?.[0]?.dial ?? (route["handle"] as CaddyJson[])[0]?.["handler"];
  return `${path} -> ${dial}`;
}

function servers(config: CaddyJson): Record<string, CaddyJson> {
  return ((config["apps"] as CaddyJson)["http"] as CaddyJson)["servers"] as Record<string, CaddyJson>;
}

describe("renderHost (Caddy)", () => {
  it("orders locations as nginx chooses them: exact, ^~, regular expressions as given, then the longest prefix", () => {
    const { fragment } = renderHost(
      host({
        locations: [
          location("/", { forward_port: 1 }),
          location("/api/", { forward_port: 2 }),
          location("~* \\.php$", { forward_port: 3 }),
          location("/api/v2/", { forward_port: 4 }),
          location("= /health", { forward_port: 5 }),
          location("^~ /static/", { forward_port: 6 }),
          location("~ ^/old", { forward_port: 7 }),
        ],
      }),
      null,
      listen,
    );
    expect(subroutes(fragment.http).map(summary)).toEqual([
      "path /health -> 10.0.0.6:5",
      "path /static/* -> 10.0.0.6:6",
      "regexp (?i)\\.php$ -> 10.0.0.6:3",
      "regexp ^/old -> 10.0.0.6:7",
      "path /api/v2/* -> 10.0.0.6:4",
      "path /api/* -> 10.0.0.6:2",
      // The user's own `/` replaces the host's default upstream (3000), as in nginx.
      "any -> 10.0.0.6:1",
    ]);
  });

  it("replaces only the matched prefix with forward_path, reading the prefix literally", () => {
    const { fragment } = renderHost(host({ forward_path: "/app/", locations: [location("/api/v1.0/", { forward_path: "/v2/" }), location("= /x", { forward_path: "/y" })] }), null, listen);
    const rewrites = subroutes(fragment.http).map((route) => (route["handle"] as CaddyJson[]).find((h) => h["handler"] === "rewrite")?.["path_regexp"]);
    expect(rewrites).toEqual([[{ find: "^.*$", replace: "/y" }], [{ find: "^/api/v1\\.0/", replace: "/v2/" }], [{ find: "^/", replace: "/app/" }]]);
  });

  it("redirects plain HTTP to the HTTPS port only when the host has a certificate to serve", () => {
    const forced = renderHost(host({ ssl_forced: true }), tls("a"), listen).fragment;
    expect(forced.http).toEqual([{ handler: "static_response", status_code: 301, headers: { Location: ["https://{http.request.host}:8443{http.request.uri}"] } }]);
    const standard = renderHost(host({ ssl_forced: true }), tls("a"), { ...listen, httpsPort: 443 }).fragment;
    expect(standard.http[0]?.["headers"]).toEqual({ Location: ["https://{http.request.host}{http.request.uri}"] });
    // No certificate yet: served over plain HTTP rather than redirected to a handshake that fails.
    const waiting = renderHost(host({ ssl_forced: true }), null, listen).fragment;
    expect(subroutes(waiting.http).map(summary)).toEqual(["any -> 127.0.0.1:3000"]);
    expect(waiting.https).toBeNull();
  });

  it("sends HSTS over HTTPS only, and offers HTTP/2 per host", () => {
    const { fragment } = renderHost(host({ hsts_enabled: true, hsts_subdomains: true, http2_support: true }), tls("a"), listen);
    expect(fragment.https?.handle[0]).toEqual({ handler: "headers", response: { set: { "Strict-Transport-Security": ["max-age=63072000; includeSubDomains; preload"] } } });
    expect(fragment.http.some((h) => h["handler"] === "headers")).toBe(false);
    expect(fragment.https?.alpn).toEqual(["h2", "http/1.1"]);
    expect(renderHost(host(), tls("a"), listen).fragment.https?.alpn).toEqual(["http/1.1"]);
  });

  it("resolves upstream names per request through the given resolvers, and refuses one no proxy could dial", () => {
    const { fragment } = renderHost(host({ forward_host: "Web-1.Internal", forward_scheme: "https", forward_port: 8443 }), null, listen);
    const proxy = (subroutes(fragment.http)[0]?.["handle"] as CaddyJson[])[0]!;
    expect(proxy["upstreams"]).toEqual([{ dial: "web-1.internal:8443" }]);
    expect(proxy["transport"]).toEqual({
      protocol: "http",
      resolver: { addresses: ["udp/127.0.0.53:53", "udp/10.0.0.2:5353", "udp/[::1]:53", "udp/[::1]:5353", "udp/dns.internal:53"] },
      tls: { insecure_skip_verify: true },
    });
    expect(() => renderHost(host({ forward_host: "bad_name-.example..com" }), null, listen)).toThrow(CaddyRenderError);
  });

  it("denies exploit patterns before proxying when block_exploits is on", () => {
    const routes = subroutes(renderHost(host({ block_exploits: true }), null, listen).fragment.http);
    expect(routes[0]?.["handle"]).toEqual([{ handler: "static_response", status_code: 403 }]);
    const patterns = (routes[0]?.["match"] as CaddyJson[]).map((m) => JSON.stringify(m));
    expect(patterns.some((p) => p.includes("union.*select"))).toBe(true);
    expect(patterns.some((p) => p.includes("User-Agent"))).toBe(true);
  });

  it("sends the upstream the client's host name without its port, as nginx's $host", () => {
    const proxy = subroutes(renderHost(host(), null, listen).fragment.http).at(-1)?.["handle"] as CaddyJson[];
    const set = (proxy.find((h) => h["handler"] === "reverse_proxy")?.["headers"] as { request: { set: Record<string, string[]> } }).request.set;
    expect(set["Host"]).toEqual(["{http.request.host}"]);
  });

  it("says what it does not apply: the WAF, nginx's advanced_config, caching", () => {
    expect(renderHost(host(), null, listen).notes).toEqual([]);
    const { notes } = renderHost(host({ waf_enabled: true, caching_enabled: true, locations: [location("/a/", { advanced_config: "proxy_buffering off;" })] }), null, listen);
    expect(notes).toEqual([NOT_APPLIED.waf, NOT_APPLIED.advancedConfig, NOT_APPLIED.caching]);
  });
});

describe("renderConfig (Caddy)", () => {
  const fragment = (overrides: Parameters<typeof host>[0], certificate: string | null = null): HostFragment =>
    renderHost(host(overrides), certificate ? tls(certificate) : null, listen).fragment;

  it("keeps the admin API where it is and leaves HTTPS out while no host has a certificate", () => {
    const config = renderConfig(options, [fragment({})]);
    expect(config["admin"]).toEqual({ listen: "127.0.0.1:2019" });
    expect(Object.keys(servers(config))).toEqual(["charon_http"]);
    expect(servers(config)["charon_http"]?.["listen"]).toEqual(["127.0.0.1:8080"]);
    expect((config["apps"] as CaddyJson)["tls"]).toBeUndefined();
  });

  it("matches every exact name before any wildcard, the longest wildcard first, and aborts the rest", () => {
    const config = renderConfig(options, [
      fragment({ id: 1, domain_names: ["*.customer-a.test"] }),
      fragment({ id: 2, domain_names: ["*.shop.customer-a.test", "www.customer-b.test"] }),
      fragment({ id: 3, domain_names: ["app.customer-a.test"] }),
    ]);
    const routes = servers(config)["charon_http"]?.["routes"] as CaddyJson[];
    expect(routes.map((r) => JSON.stringify((r["match"] as CaddyJson[] | undefined)?.[0]?.["host"] ?? "rest"))).toEqual([
      '["www.customer-b.test"]',
      '["app.customer-a.test"]',
      '["*.shop.customer-a.test"]',
      '["*.customer-a.test"]',
      '"rest"',
    ]);
    expect(routes.at(-1)?.["handle"]).toEqual([{ handler: "static_response", abort: true }]);
  });

  it("loads each certificate file once and picks it per host by its tag and server name", () => {
    const config = renderConfig(options, [fragment({ id: 1, domain_names: ["a.customer-a.test"] }, "wild"), fragment({ id: 2, domain_names: ["b.customer-a.test"] }, "wild"), fragment({ id: 3 })]);
    const https = servers(config)["charon_https"]!;
    expect(https["listen"]).toEqual(["127.0.0.1:8443"]);
    expect(https["tls_connection_policies"]).toEqual([
      { match: { sni: ["a.customer-a.test"] }, certificate_selection: { any_tag: ["wild"] }, alpn: ["http/1.1"] },
      { match: { sni: ["b.customer-a.test"] }, certificate_selection: { any_tag: ["wild"] }, alpn: ["http/1.1"] },
    ]);
    expect((config["apps"] as CaddyJson)["tls"]).toEqual({ certificates: { load_files: [{ certificate: "/c/wild/fullchain.pem", key: "/c/wild/privkey.pem", tags: ["wild"] }] } });
    // The host without a certificate is on the HTTP server only.
    expect((https["routes"] as CaddyJson[]).length).toBe(3);
  });

  it("refuses CrowdSec's bans in every server before any host, and refuses an entry that is no address", () => {
    const config = renderConfig(options, [fragment({ id: 1 }, "a")], ["192.0.2.7", "2001:db8::/32"]);
    for (const server of ["charon_http", "charon_https"]) {
      expect((servers(config)[server]?.["routes"] as CaddyJson[])[0]).toEqual({
        match: [{ remote_ip: { ranges: ["192.0.2.7", "2001:db8::/32"] } }],
        handle: [{ handler: "static_response", status_code: 403 }],
        terminal: true,
      });
    }
    expect(() => renderConfig(options, [], ["example.com"])).toThrow(CaddyRenderError);
    expect(() => renderConfig(options, [], ["192.0.2.0/24/1"])).toThrow(CaddyRenderError);
  });
});
