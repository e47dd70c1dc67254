import { describe, expect, it } from "vitest";
import { RenderError, renderHost, renderMainConfig, type MainConfigOptions } from "../src/drivers/nginx/render.js";
import { host } from "./hosts.js";

const listen = { listenAddress: "127.0.0.1", httpPort: 8080, httpsPort: 8443 };
const tls = { certificateFile: "certs/1/fullchain.pem", keyFile: "certs/1/privkey.pem" };
const main: MainConfigOptions = {
  ...listen,
  resolvers: ["127.0.0.53", "::1"],
  runDir: "/run/charon-agent",
  waf: { module: "/usr/lib/nginx/modules/ngx_http_modsecurity_module.so", crsSetup: "/etc/modsecurity/crs/crs-setup.conf", crsRules: "/usr/share/modsecurity-crs/rules" },
};

/** The directives of a block, one per line, without indentation. */
const lines = (text: string) => text.split("\n").map((line) => line.trim());

describe("renderHost", () => {
  it("forwards through a variable, so nginx resolves the upstream per request and never at start", () => {
    const text = renderHost(host({ forward_host: "Web-1.Internal", forward_port: 8080 }), null, listen);
    expect(lines(text)).toContain('set $charon_upstream "http://web-1.internal:8080";');
    expect(lines(text)).toContain("proxy_pass $charon_upstream;");
    expect(text).not.toMatch(/proxy_pass https?:\/\//);
  });

  it("serves the host's names as A-labels and brackets an IPv6 upstream", () => {
    const text = renderHost(host({ domain_names: ["Bücher.customer-a.test", "*.customer-a.test"], forward_host: "2001:db8::20", forward_scheme: "https" }), null, listen);
    expect(lines(text)).toContain("server_name xn--bcher-kva.customer-a.test *.customer-a.test;");
    expect(lines(text)).toContain('set $charon_upstream "https://[2001:db8::20]:3000";');
  });

  it("replaces the matched prefix with forward_path, keeping the rest of the path", () => {
    const text = renderHost(
      host({ forward_path: "/app/", locations: [{ path: "/api/v1.0/", forward_scheme: "http", forward_host: "10.0.0.6", forward_port: 9000, forward_path: "/v2/", advanced_config: "" }] }),
      null,
      listen,
    );
    expect(lines(text)).toContain('rewrite "^/(.*)$" /app/$1 break;');
    expect(lines(text)).toContain('rewrite "^/api/v1\\.0/(.*)$" /v2/$1 break;');
  });

  it("listens on HTTP only without a certificate, whatever ssl_forced and HSTS say", () => {
    const text = renderHost(host({ ssl_forced: true, hsts_enabled: true, http2_support: true }), null, listen);
    expect(text).not.toContain("8443");
    expect(text).not.toContain("Strict-Transport-Security");
    expect(text).not.toContain("return 301");
  });

  it("with a certificate: HTTPS with HTTP/2, a redirect naming the HTTPS port, and HSTS", () => {
    const text = renderHost(host({ ssl_forced: true, hsts_enabled: true, hsts_subdomains: true, http2_support: true }), tls, listen);
    expect(lines(text)).toContain("listen 127.0.0.1:8443 ssl http2;");
    expect(lines(text)).toContain("ssl_certificate certs/1/fullchain.pem;");
    expect(lines(text)).toContain('if ($scheme = "http") { return 301 https://$host:8443$request_uri; }');
    expect(lines(text)).toContain('add_header Strict-Transport-Security "max-age=63072000; includeSubDomains; preload" always;');
  });

  it("turns ModSecurity on per host: block mode switches the engine on, monitor leaves it detecting", () => {
    const block = renderHost(host({ waf_enabled: true, waf_mode: "block" }), null, listen);
    const monitor = renderHost(host({ waf_enabled: true, waf_mode: "monitor" }), null, listen);
    const off = renderHost(host(), null, listen);
    expect(lines(block)).toEqual(expect.arrayContaining(["modsecurity on;", "modsecurity_rules 'SecRuleEngine On';"]));
    expect(lines(monitor)).toContain("modsecurity on;");
    expect(monitor).not.toContain("SecRuleEngine");
    expect(off).not.toContain("modsecurity");
  });

  it("adds websocket headers, exploit blocking and asset caching when asked", () => {
    const text = renderHost(host({ allow_websocket_upgrade: true, block_exploits: true, caching_enabled: true }), null, listen);
    expect(lines(text)).toEqual(
      expect.arrayContaining(["proxy_set_header Upgrade $http_upgrade;", "include snippets/block-exploits.conf;", "proxy_cache charon_public;"]),
    );
  });

  it("puts advanced_config in the server and a location's own in that location; a custom / replaces the default", () => {
    const text = renderHost(
      host({
        advanced_config: "client_max_body_size 50m;",
        locations: [{ path: "/", forward_scheme: "http", forward_host: "10.0.0.7", forward_port: 81, forward_path: "", advanced_config: "proxy_read_timeout 90s;" }],
      }),
      null,
      listen,
    );
    expect(text.match(/location \/ \{/g)).toHaveLength(1);
    expect(lines(text)).toEqual(expect.arrayContaining(['set $charon_upstream "http://10.0.0.7:81";', "proxy_read_timeout 90s;", "client_max_body_size 50m;"]));
  });

  it("refuses an upstream or a domain name no proxy could use, naming it", () => {
    expect(() => renderHost(host({ forward_host: "bad host;" }), null, listen)).toThrow(RenderError);
    expect(() => renderHost(host({ forward_host: "bad host;" }), null, listen)).toThrow(/Upstream 'bad host;'/);
    expect(() => renderHost(host({ domain_names: ["exa mple.test"] }), null, listen)).toThrow(/exa mple\.test/);
  });
});

describe("renderMainConfig", () => {
  it("names the resolvers (IPv6 in brackets) and loads the Core Rule Set once only when a host uses the WAF", () => {
    const withWaf = renderMainConfig(main, "/etc/charon-agent/staged", true);
    const without = renderMainConfig(main, "/etc/charon-agent/staged", false);
    expect(lines(withWaf)).toContain("resolver 127.0.0.53 [::1] valid=30s;");
    expect(withWaf.match(/modsecurity_rules_file/g)).toHaveLength(1);
    expect(lines(withWaf)).toContain('load_module "/usr/lib/nginx/modules/ngx_http_modsecurity_module.so";');
    expect(without).not.toContain("modsecurity");
  });

  it("closes connections for names no host serves", () => {
    const text = renderMainConfig(main, "/x", false);
    expect(lines(text)).toEqual(
      expect.arrayContaining(["listen 127.0.0.1:8080 default_server;", "location / { return 444; }", "server { listen 127.0.0.1:8443 ssl default_server; ssl_reject_handshake on; }"]),
    );
  });
});
