import { describe, expect, it } from "vitest";
import { MAX_MAX_BODY, testHost } from "./proxy-host-samples.js";
import { testApi } from "../../../test/support/api.js";

describe("proxy hosts", () => {
  it("creates the NPM object with defaults, normalised names, and the certificate summary", async () => {
    const api = await testApi();
    const certificate = await api.send("POST", "/api/nginx/certificates", {
      body: { provider: "letsencrypt", domain_names: ["shop.customer-a.com"], meta: { dns_provider: "cloudflare" } },
    });
    const created = await api.send("POST", "/api/nginx/proxy-hosts", {
      body: testHost({ domain_names: ["Shop.Customer-A.com."], certificate_id: certificate.body.id, ssl_forced: true }),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      domain_names: ["shop.customer-a.com"],
      forward_scheme: "http",
      certificate_id: certificate.body.id,
      ssl_forced: true,
      hsts_enabled: false,
      enabled: true,
      locations: [],
      waf_enabled: false,
      waf_mode: "block",
      certificate: {
        id: certificate.body.id,
        status: "pending",
        expires_on: null,
        last_renewed_at: null,
        dns_provider: { id: api.dns!.cloudflare.id, type: "cloudflare", name: "Cloudflare Production" },
        credentials: [{ domain: "shop.customer-a.com", credential_id: api.dns!.cloudflare.customerA, credential_name: "Customer A" }],
        issued_using: "Issued using credential: Customer A",
      },
    });
    expect(created.body).not.toHaveProperty("version");
    const fetched = await api.send("GET", `/api/nginx/proxy-hosts/${created.body.id}`);
    expect(fetched.body).toEqual(created.body);
  });

  it("converts Unicode names to A-labels", async () => {
    const api = await testApi();
    const created = await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost({ domain_names: ["bücher.example"] }) });
    expect(created.body.domain_names).toEqual(["xn--bcher-kva.example"]);
  });

  it("keeps once a name listed again in another form (Unicode and its A-label, case, trailing dot)", async () => {
    const api = await testApi();
    const created = await api.send("POST", "/api/nginx/proxy-hosts", {
      body: testHost({ domain_names: ["bücher.example", "XN--BCHER-KVA.example.", "www.bücher.example"] }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.domain_names).toEqual(["xn--bcher-kva.example", "www.xn--bcher-kva.example"]);
  });

  it("changes only the fields a PUT names, WAF fields included", async () => {
    const api = await testApi();
    const created = (await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost({ http2_support: true }) })).body;
    const updated = await api.send("PUT", `/api/nginx/proxy-hosts/${created.id}`, { body: { forward_port: 8080 } });
    expect(updated.body).toEqual({ ...created, forward_port: 8080, modified_on: updated.body.modified_on });
    const waf = await api.send("PUT", `/api/nginx/proxy-hosts/${created.id}`, { body: { waf_enabled: true, waf_mode: "monitor" } });
    expect(waf.body).toMatchObject({ waf_enabled: true, waf_mode: "monitor", forward_port: 8080, http2_support: true });
  });

  it("answers 409 naming the host when another host already serves a name, also after normalising", async () => {
    const api = await testApi();
    const first = (await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost({ domain_names: ["a.example.com", "b.example.com"] }) })).body;
    const clash = await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost({ domain_names: ["c.example.com", "B.EXAMPLE.COM."] }) });
    expect(clash.status).toBe(409);
    expect(clash.body).toMatchObject({
      error: "Conflict",
      message: `Domain name 'b.example.com' is already used by proxy host ${first.id}`,
      conflicting_proxy_host_id: first.id,
    });
    // The failed create claimed nothing: c.example.com is still free.
    expect((await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost({ domain_names: ["c.example.com"] }) })).status).toBe(201);
    const second = (await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost({ domain_names: ["d.example.com"] }) })).body;
    const moved = await api.send("PUT", `/api/nginx/proxy-hosts/${second.id}`, { body: { domain_names: ["a.example.com"] } });
    expect(moved.status).toBe(409);
  });

  it("frees a host's names when they are removed or the host is deleted", async () => {
    const api = await testApi();
    const host = (await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost({ domain_names: ["x.example.com", "y.example.com"] }) })).body;
    await api.send("PUT", `/api/nginx/proxy-hosts/${host.id}`, { body: { domain_names: ["y.example.com", "z.example.com"] } });
    expect((await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost({ domain_names: ["x.example.com"] }) })).status).toBe(201);
    expect((await api.send("DELETE", `/api/nginx/proxy-hosts/${host.id}`)).body).toEqual({ id: host.id, deleted: true });
    expect((await api.send("GET", `/api/nginx/proxy-hosts/${host.id}`)).status).toBe(404);
    expect((await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost({ domain_names: ["y.example.com", "z.example.com"] }) })).status).toBe(201);
  });

  it("lets exactly one of two simultaneous creates of one name win", async () => {
    const api = await testApi();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        api.send("POST", "/api/nginx/proxy-hosts", { body: testHost({ domain_names: [`race.example.com`, `own-${i}.example.com`] }) }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    const listed = (await api.send("GET", "/api/nginx/proxy-hosts")).body;
    expect(listed).toHaveLength(1);
  });

  it("stores a host with 100 names (more than one DynamoDB transaction holds) and frees them all", async () => {
    const api = await testApi();
    const names = Array.from({ length: 100 }, (_, i) => `n${i}.many.example.com`);
    const certificate = (await api.send("POST", "/api/nginx/certificates", {
      body: { provider: "letsencrypt", domain_names: ["*.many.example.com", "*.other.example.com"], meta: { dns_provider: "cloudflare" } },
    })).body;
    const host = await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost({ domain_names: names, certificate_id: certificate.id }) });
    expect(host.status).toBe(201);
    expect(host.body.domain_names).toHaveLength(100);
    const clash = await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost({ domain_names: ["n99.many.example.com"] }) });
    expect(clash.status).toBe(409);
    const replaced = names.map((n) => n.replace("many", "other"));
    expect((await api.send("PUT", `/api/nginx/proxy-hosts/${host.body.id}`, { body: { domain_names: replaced } })).status).toBe(200);
    expect((await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost({ domain_names: names }) })).status).toBe(201);
    expect((await api.send("DELETE", `/api/nginx/proxy-hosts/${host.body.id}`)).status).toBe(200);
    expect((await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost({ domain_names: replaced }) })).status).toBe(201);
  });

  it("takes over a name whose claim was left behind by an interrupted write, once it is stale", async () => {
    const api = await testApi();
    const claim = (domain: string, minutesAgo: number) =>
      api.table.put({
        pk: `DOMAIN#${domain}`,
        sk: "CLAIM",
        domain,
        proxy_host_id: 999,
        claimed_at: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
      });
    await claim("left.example.com", 30);
    await claim("inflight.example.com", 1);
    const healed = await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost({ domain_names: ["left.example.com"] }) });
    expect(healed.status).toBe(201);
    const young = await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost({ domain_names: ["inflight.example.com"] }) });
    expect(young.status).toBe(409);
  });

  it("takes certificate_id as an id, 0 for none, or \"new\" to request one for the host's names", async () => {
    const api = await testApi();
    // A body valid by its shape that names no certificate: refused for the state, 404 (docs/decisions/0018).
    const missing = await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost({ certificate_id: 99 }) });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: "Not found", message: "certificate_id: Certificate with ID 99 not found" });
    const none = await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost({ domain_names: ["none.example.com"], certificate_id: 0 }) });
    expect(none.body.certificate).toBeNull();
    const fresh = await api.send("POST", "/api/nginx/proxy-hosts", {
      body: testHost({ domain_names: ["fresh.customer-a.com"], certificate_id: "new", meta: { dns_challenge: true, dns_provider: "cloudflare" } }),
    });
    expect(fresh.status).toBe(201);
    expect(fresh.body.certificate).toMatchObject({ status: "pending", issued_using: "Issued using credential: Customer A" });
    const certificate = await api.send("GET", `/api/nginx/certificates/${fresh.body.certificate_id}`);
    expect(certificate.body.domain_names).toEqual(["fresh.customer-a.com"]);
    // A host whose names are taken does not leave its new certificate behind.
    const before = (await api.send("GET", "/api/nginx/certificates")).body.length;
    const clash = await api.send("POST", "/api/nginx/proxy-hosts", {
      body: testHost({ domain_names: ["fresh.customer-a.com"], certificate_id: "new", meta: { dns_provider: "cloudflare" } }),
    });
    expect(clash.status).toBe(409);
    expect((await api.send("GET", "/api/nginx/certificates")).body.length).toBe(before);
    // Moving a host between certificates moves the "in use" mark.
    await api.send("PUT", `/api/nginx/proxy-hosts/${fresh.body.id}`, { body: { certificate_id: 0 } });
    expect((await api.send("DELETE", `/api/nginx/certificates/${fresh.body.certificate_id}`)).status).toBe(200);
  });

  it("enables and disables", async () => {
    const api = await testApi();
    const host = (await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost() })).body;
    expect((await api.send("POST", `/api/nginx/proxy-hosts/${host.id}/disable`)).body.enabled).toBe(false);
    expect((await api.send("GET", `/api/nginx/proxy-hosts/${host.id}`)).body.enabled).toBe(false);
    expect((await api.send("POST", `/api/nginx/proxy-hosts/${host.id}/enable`)).body.enabled).toBe(true);
    expect((await api.send("POST", "/api/nginx/proxy-hosts/404/enable")).status).toBe(404);
    const actions = (await api.table.queryAll({ partition: `AUDITRES#proxy_host#${host.id}`, index: "gsi1" })).map((i) => i["action"]);
    expect(actions).toEqual(["proxy_host_created", "proxy_host_disabled", "proxy_host_enabled"]);
  });

  describe("bad input is a 4xx naming the problem, never a 500", () => {
    it.each([
      ["port above range", testHost({ forward_port: 70000 }), 400, "forward_port: Too big"],
      ["port zero", testHost({ forward_port: 0 }), 400, "forward_port: Too small"],
      ["port as text", testHost({ forward_port: "3000" }), 400, "forward_port: Invalid input: expected number"],
      ["host with a space", testHost({ forward_host: "10.0.0.5 evil" }), 400, "forward_host: must be a host name or IP address"],
      ["domain with a space", testHost({ domain_names: ["a b.example.com"] }), 400, "domain_names.0: Domain name 'a b.example.com'"],
      ["empty label", testHost({ domain_names: ["a..example.com"] }), 400, "domain_names.0:"],
      ["no names", testHost({ domain_names: [] }), 400, "domain_names: Too small"],
      ["101 names", testHost({ domain_names: Array.from({ length: 101 }, (_, i) => `h${i}.example.com`) }), 400, "domain_names: Too big"],
      ["unknown field", { ...testHost(), owner_user_id: 1 }, 400, "Unknown field 'owner_user_id'"],
      ["unknown location field", testHost({ locations: [{ path: "/", forward_host: "a", forward_port: 1, x: 1 }] }), 400, "Unknown field 'locations.0.x'"],
      ["missing forward_host", { domain_names: ["a.example.com"], forward_port: 1 }, 400, "forward_host: is required"],
      ["bad waf mode", testHost({ waf_mode: "strict" }), 400, "waf_mode: Invalid option"],
      ["certificate id text", testHost({ certificate_id: "old" }), 400, "certificate_id:"],
      ["credentials on a host", testHost({ meta: { dns_provider_credentials: "x" } }), 400, "meta: DNS credentials are not stored on hosts"],
    ])("%s", async (_name, body, status, message) => {
      const api = await testApi();
      const response = await api.send("POST", "/api/nginx/proxy-hosts", { body });
      expect(response.status).toBe(status);
      expect(response.body.message).toContain(message);
    });

    it("a body that is not JSON, an array, or missing", async () => {
      const api = await testApi();
      for (const body of ["{not json", "[1,2]", "null", ""]) {
        const response = await api.send("POST", "/api/nginx/proxy-hosts", { body, headers: { "Content-Type": "application/json" } });
        expect(response.status, body).toBe(400);
      }
    });

    it("a body sent as something other than JSON (415 saying what to send)", async () => {
      const api = await testApi();
      const response = await api.send("POST", "/api/nginx/proxy-hosts", {
        body: JSON.stringify(testHost()),
        headers: { "Content-Type": "text/plain" },
      });
      expect(response.status).toBe(415);
      expect(response.body.message).toContain("Content-Type: application/json");
    });

    it("a body larger than the limit (413)", async () => {
      const api = await testApi();
      const response = await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost({ advanced_config: "x".repeat(MAX_MAX_BODY) }) });
      expect(response.status).toBe(413);
      expect(response.body.error).toBe("Payload too large");
    });

    it("ids that are not positive integers", async () => {
      const api = await testApi();
      const host = (await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost() })).body;
      // Other spellings of a number must not reach an existing host either (0x1 is 1 to Number()).
      for (const id of ["abc", "0", "-1", "1.5", `0x${host.id.toString(16)}`, `${host.id}e0`, ` ${host.id}`]) {
        const response = await api.send("GET", `/api/nginx/proxy-hosts/${encodeURIComponent(id)}`);
        expect(response.status, id).toBe(400);
        expect(response.body).toMatchObject({ error: "Invalid path parameter", message: `id: '${id}' is not a valid ID: IDs are positive integers` });
      }
      expect((await api.send("PUT", "/api/nginx/proxy-hosts/77", { body: { forward_port: 1 } })).status).toBe(404);
    });
  });
});
