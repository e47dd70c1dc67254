import { beforeAll, describe, expect, it } from "vitest";
import { testHost } from "./proxy-host-samples.js";
import { testApi, type TestApi } from "../../../test/support/api.js";

// What these fields become in nginx or Caddy configuration: whatever the API accepts, a proxy
// will be asked to load. One API (one table) per describe: each case uses names of its own.
let api: TestApi;
beforeAll(async () => {
  api = await testApi();
});

const create = (overrides: Record<string, unknown>) => api.send("POST", "/api/nginx/proxy-hosts", { body: testHost(overrides) });
const location = (overrides: Record<string, unknown>) => ({ path: "/app/", forward_host: "10.0.0.6", forward_port: 8080, ...overrides });

describe("forward_host is a host name, an IPv4 or an IPv6 address", () => {
  it.each([
    // The inputs of the report
    [":::", "is not a valid IPv6 address"],
    ["[[", "is not an IPv6 address"],
    ["]", "is not an IPv6 address"],
    ["[::1", "is not an IPv6 address"],
    ["...", "has an empty label"],
    [".", "has an empty label"],
    ["1.2.3.4.5", "is not an IPv4 address"],
    ["999.1.1.1", "is not an IPv4 address"],
    ["2001:db8::g", "is not a valid IPv6 address"],
    ["a..b", "has an empty label"],
    ["-bad-.example", "starts with '-'"],
    ["10.0.0.5:8080", "holds a port: give the host alone and the port in forward_port"],
    // More of each kind
    ["[2001:db8::1]:8080", "holds a port: give the address alone and the port in forward_port"],
    ["backend:3000", "holds a port"],
    ["10.0.0.5/app", "holds a path: give the host alone and the path in forward_path"],
    ["010.0.0.1", "without leading zeros"],
    ["0x7f.1", "is not an IPv4 address"],
    ["1.2.3", "is not an IPv4 address"],
    ["fe80::1%eth0", "has a zone index"],
    ["1:2:3:4:5:6:7:8:9", "is not a valid IPv6 address"],
    ["*.example.com", "is a wildcard"],
    ["bad-.example", "ends with '-'"],
    [`${"a".repeat(64)}.example`, "has a label of 64 octets"],
  ])("%s is a 400 that says why", async (forwardHost, reason) => {
    const response = await create({ forward_host: forwardHost });
    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(/^forward_host: /);
    expect(response.body.message).toContain(reason);
  });

  it.each([
    ["UPPER.Internal", "upper.internal"],
    ["[2001:db8::20]", "2001:db8::20"],
    ["2001:DB8:0:0:0:0:0:20", "2001:db8::20"],
    ["[2001:0db8:0000::0020]", "2001:db8::20"],
    ["::FFFF:10.0.0.5", "::ffff:10.0.0.5"],
    ["[::1]", "::1"],
    ["10.0.0.5", "10.0.0.5"],
    ["backend", "backend"],
    ["Backend.Internal.", "backend.internal"],
    ["myproject_web_1", "myproject_web_1"],
    ["bücher.internal", "xn--bcher-kva.internal"],
  ])("%s is stored as %s", async (forwardHost, stored) => {
    const response = await create({ forward_host: forwardHost });
    expect(response.status).toBe(201);
    expect(response.body.forward_host).toBe(stored);
    expect((await api.send("GET", `/api/nginx/proxy-hosts/${response.body.id}`)).body.forward_host).toBe(stored);
  });

  it("holds for a PUT and for each location too, naming the location", async () => {
    const host = (await create({})).body;
    const put = await api.send("PUT", `/api/nginx/proxy-hosts/${host.id}`, { body: { forward_host: "[[" } });
    expect(put.status).toBe(400);
    expect(put.body.message).toMatch(/^forward_host: /);
    const stored = await api.send("PUT", `/api/nginx/proxy-hosts/${host.id}`, { body: { forward_host: "[2001:DB8::20]" } });
    expect(stored.body.forward_host).toBe("2001:db8::20");
    const badLocation = await create({ locations: [location({}), location({ path: "/b/", forward_host: "999.1.1.1" })] });
    expect(badLocation.status).toBe(400);
    expect(badLocation.body.message).toMatch(/^locations\.1\.forward_host: '999\.1\.1\.1' is not an IPv4 address/);
    const goodLocation = await create({ locations: [location({ forward_host: "[::1]" })] });
    expect(goodLocation.body.locations[0].forward_host).toBe("::1");
  });
});

const SCHEMA_RULE = "must be a URI prefix or a modifier (=, ^~, ~, ~*), one space and a pattern, without white space, braces, ';', quotes or '#'";

describe("a location path is a URI prefix or an nginx modifier and pattern", () => {
  it.each([
    // The schema's pattern (in the OpenAPI document) refuses these characters before anything else.
    ["/x {\n return 200 pwned; }\n location /y", SCHEMA_RULE],
    ["/x{return", SCHEMA_RULE],
    ["/a b", SCHEMA_RULE],
    ["/x;", SCHEMA_RULE],
    ['/x"', SCHEMA_RULE],
    ["/x'", SCHEMA_RULE],
    ["/x\u0000", SCHEMA_RULE],
    ["/x\u0085", SCHEMA_RULE],
    ["~ #comment", SCHEMA_RULE],
    ["~  /two-spaces", SCHEMA_RULE],
    ["api/", "must start with '/'"],
    ["= exact", "must start with '/'"],
    ["~", "has no pattern after its modifier"],
    ["/a\\b", "contains '\\': a URI prefix has no escapes"],
    ["~ \\.php\\", "ends in '\\'"],
    ["~ ^/(api", "is not a regular expression nginx can compile: a '(' is never closed"],
    ["~* \\.(png|jpe?g))$", "a ')' closes no group"],
    ["~ ^/[a-z", "a '[' is never closed"],
  ])("%j is a 400", async (path, reason) => {
    const response = await create({ locations: [location({ path })] });
    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(/^locations\.0\.path: /);
    expect(response.body.message).toContain(reason);
  });

  it.each([
    ["/api/", "/api/"],
    ["/", "/"],
    ["= /exact", "= /exact"],
    ["=/exact", "= /exact"],
    ["^~ /static/", "^~ /static/"],
    ["~ \\.php$", "~ \\.php$"],
    ["~*\\.(png|jpe?g)$", "~* \\.(png|jpe?g)$"],
    ["~ ^/(?i)[]a(]\\)x$", "~ ^/(?i)[]a(]\\)x$"],
  ])("%j is stored as %j", async (path, stored) => {
    const response = await create({ locations: [location({ path })] });
    expect(response.status).toBe(201);
    expect(response.body.locations[0].path).toBe(stored);
  });

  it("refuses two locations nginx would call duplicates, on create and on update", async () => {
    const twice = await create({ locations: [location({ path: "/api" }), location({ path: "/api" })] });
    expect(twice.status).toBe(400);
    expect(twice.body.message).toBe("locations.1.path: '/api' is the same location as locations.0: nginx refuses duplicate locations");
    // `^~ /x` is the prefix location /x to nginx; `= /x` is another kind and may stand beside it.
    const prefix = await create({ locations: [location({ path: "/x" }), location({ path: "^~ /x" })] });
    expect(prefix.status).toBe(400);
    const spelled = await create({ locations: [location({ path: "= /x" }), location({ path: "=/x" })] });
    expect(spelled.status).toBe(400);
    const exactAndPrefix = await create({ locations: [location({ path: "/x" }), location({ path: "= /x" })] });
    expect(exactAndPrefix.status).toBe(201);
    const put = await api.send("PUT", `/api/nginx/proxy-hosts/${exactAndPrefix.body.id}`, {
      body: { locations: [location({ path: "~ ^/y" }), location({ path: "~ ^/y" })] },
    });
    expect(put.status).toBe(400);
    expect((await api.send("GET", `/api/nginx/proxy-hosts/${exactAndPrefix.body.id}`)).body.locations).toHaveLength(2);
  });
});

describe("forward_path, and Nginx Proxy Manager's path inside a location's forward_host", () => {
  it("splits NPM's `192.168.100.12/zabbix/` into host and forward_path", async () => {
    const response = await create({ locations: [{ path: "/zabbix/", forward_host: "192.168.100.12/zabbix/", forward_port: 80 }] });
    expect(response.status).toBe(201);
    expect(response.body.locations[0]).toMatchObject({ forward_host: "192.168.100.12", forward_path: "/zabbix/" });
    const named = await create({ locations: [location({ forward_host: "Grafana.Internal/d/" })] });
    expect(named.body.locations[0]).toMatchObject({ forward_host: "grafana.internal", forward_path: "/d/" });
  });

  it("takes an explicit forward_path on hosts and locations; none is \"\"", async () => {
    const host = await create({ forward_path: "/app/", locations: [location({ forward_path: "/v2/api%20docs/" })] });
    expect(host.status).toBe(201);
    expect(host.body.forward_path).toBe("/app/");
    expect(host.body.locations[0].forward_path).toBe("/v2/api%20docs/");
    const plain = await create({ locations: [location({})] });
    expect(plain.body.forward_path).toBe("");
    expect(plain.body.locations[0].forward_path).toBe("");
    // The GitOps round trip: a host read back is accepted as it is.
    const { id, created_on: _c, modified_on: _m, certificate: _certificate, ...fields } = host.body;
    const again = await api.send("PUT", `/api/nginx/proxy-hosts/${id}`, { body: fields });
    expect(again.status).toBe(200);
    expect(again.body.locations).toEqual(host.body.locations);
  });

  it.each([
    [{ forward_path: "app/" }, "forward_path: must be a URI path"],
    [{ forward_path: "/a b" }, "forward_path: must be a URI path"],
    [{ forward_path: "/x;return 200" }, "forward_path: must be a URI path"],
    [{ forward_path: "/$host" }, "forward_path: must be a URI path"],
    [{ forward_path: "/%zz" }, "forward_path: must be a URI path"],
    [{ locations: [location({ forward_host: "10.0.0.6/a%zz" })] }, "locations.0.forward_host: '/a%zz' is not a URI path"],
    [{ locations: [location({ forward_host: "10.0.0.6/x/", forward_path: "/y/" })] }, "holds a path and forward_path is given too"],
    [{ locations: [location({ forward_host: "10.0.0.6:80/x/" })] }, "holds a port"],
  ])("%j is a 400", async (overrides, message) => {
    const response = await create(overrides);
    expect(response.status).toBe(400);
    expect(response.body.message).toContain(message);
  });
});

describe("a host's certificate covers every one of its names", () => {
  const certificate = async (names: string[]) =>
    (await api.send("POST", "/api/nginx/certificates", { body: { provider: "letsencrypt", domain_names: names, meta: { dns_provider: "cloudflare" } } }))
      .body;

  // A 409: the request is well formed; the stored certificate is what does not fit it (docs/decisions/0018).
  it("refuses a certificate that covers none of the names, naming them", async () => {
    const shop = await certificate(["shop.customer-a.com"]);
    const response = await create({ domain_names: ["bücher.example.com"], certificate_id: shop.id });
    expect(response.status).toBe(409);
    expect(response.body.message).toBe(
      `certificate_id: certificate ${shop.id} does not cover xn--bcher-kva.example.com: ` +
        'add the names to a certificate that covers them all, or use "new" to request one',
    );
    expect(response.body.uncovered_domain_names).toEqual(["xn--bcher-kva.example.com"]);
    // A token that may not read certificates learns the answer, not the certificate's names.
    const scoped = await api.send("POST", "/api/nginx/proxy-hosts", {
      token: api.tokens.write.proxy_hosts,
      body: testHost({ domain_names: ["other.example.org"], certificate_id: shop.id }),
    });
    expect(scoped.status).toBe(409);
    expect(JSON.stringify(scoped.body)).not.toContain("customer-a");
  });

  it("refuses a certificate that covers only some of them (a browser would show a name mismatch)", async () => {
    const partial = await certificate(["a.cover.example.com", "*.wild.example.com"]);
    const response = await create({
      domain_names: ["a.cover.example.com", "b.cover.example.com", "x.wild.example.com", "wild.example.com"],
      certificate_id: partial.id,
    });
    expect(response.status).toBe(409);
    expect(response.body.uncovered_domain_names).toEqual(["b.cover.example.com", "wild.example.com"]);
    const covered = await create({ domain_names: ["a.cover.example.com", "x.wild.example.com"], certificate_id: partial.id });
    expect(covered.status).toBe(201);
    // Renaming the host, or moving it to a certificate that does not serve it, is refused too.
    const renamed = await api.send("PUT", `/api/nginx/proxy-hosts/${covered.body.id}`, { body: { domain_names: ["c.cover.example.com"] } });
    expect(renamed.status).toBe(409);
    expect(renamed.body.uncovered_domain_names).toEqual(["c.cover.example.com"]);
    const other = await certificate(["other.example.com"]);
    const moved = await api.send("PUT", `/api/nginx/proxy-hosts/${covered.body.id}`, { body: { certificate_id: other.id } });
    expect(moved.status).toBe(409);
    expect((await api.send("GET", `/api/nginx/proxy-hosts/${covered.body.id}`)).body.certificate_id).toBe(partial.id);
  });
});
