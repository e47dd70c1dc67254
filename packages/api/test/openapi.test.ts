import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { testApi } from "../../../test/support/api.js";
import { openApi31Problems, operationsOf, resolveRef, validate, type OpenApiDocument, type Schema } from "../../../test/support/openapi.js";
import { canonicalForwardHost } from "@charon/core";
import { normaliseName, parseZoneFilter } from "@charon/zones";

const api = await testApi({ standardDns: false });
afterAll(() => api.stop());
const response = await api.call("GET", "/api/openapi.json", { token: null });
const document = (await response.json()) as OpenApiDocument;

describe("/api/openapi.json", () => {
  it("is served without a token and validates against the official OpenAPI 3.1 schema", async () => {
    expect(response.status).toBe(200);
    expect(document.openapi).toBe("3.1.0");
    expect(await openApi31Problems(document)).toEqual([]);
    // …and the check can fail: a response without its required description, an untyped version.
    const broken = structuredClone(document);
    delete (broken.paths["/api/health"]!["get"]!.responses["200"] as { description?: string }).description;
    expect(await openApi31Problems(broken)).not.toEqual([]);
    expect(await openApi31Problems({ ...document, info: { title: "Charon" } as OpenApiDocument["info"] })).not.toEqual([]);
  });

  it("declares the bearer and session-cookie schemes, and every protected operation takes either with its permission", () => {
    expect(document.components?.securitySchemes?.["bearerAuth"]).toMatchObject({ type: "http", scheme: "bearer" });
    const cookie = document.components?.securitySchemes?.["sessionCookie"];
    expect(cookie).toMatchObject({ type: "apiKey", in: "cookie", name: "charon_session" });
    // The CSRF rule, as the server enforces it (packages/api/test/sessions.test.ts).
    expect(cookie?.["description"]).toContain("must send `X-CSRF-Token` with the session's `csrf_token`");
    expect(cookie?.["description"]).toContain("`Sec-Fetch-Site` must be `same-origin`; otherwise 403");
    for (const { key, operation } of operationsOf(document)) {
      const access = operation["x-charon-access"];
      expect(access, key).toBeDefined();
      if (access === "public") continue;
      expect(operation.security, key).toEqual(access === "session" ? [{ sessionCookie: [] }] : [{ bearerAuth: [] }, { sessionCookie: [] }]);
    }
    expect(document.paths["/api/v1/sessions"]!["post"]!.security).toEqual([]);
  });

  it("declares every error response with the error schema on every protected operation", () => {
    const errorStatuses = ["400", "401", "403", "404", "409", "413", "415", "429", "500", "502", "503"];
    for (const { key, operation } of operationsOf(document)) {
      // The session routes answer a fixed subset (no ids, no dependencies): sessions.ts declares it.
      if (operation["x-charon-access"] === "public" || operation["x-charon-access"] === "session") continue;
      for (const status of errorStatuses) {
        const schema = operation.responses[status]?.content?.["application/json"]?.schema;
        expect(schema, `${key} ${status}`).toEqual({ $ref: "#/components/schemas/Error" });
      }
    }
    expect(resolveRef(document, "#/components/schemas/Error")).toMatchObject({ required: ["error", "message", "request_id"] });
  });

  it("documents request bodies as strict objects, so unknown fields are part of the contract", () => {
    // A body with one shape per value of a field (oneOf) is strict in each shape.
    const shapes = ["TokenCreateRead", "TokenCreateFull", "TokenCreateScoped", "DnsProviderCreateCloudflare", "DnsProviderCreatePowerDNS"];
    for (const name of ["ProxyHostCreate", "ProxyHostUpdate", "CertificateCreate", "SettingsUpdate", ...shapes]) {
      expect(document.components?.schemas?.[name]?.["additionalProperties"], name).toBe(false);
    }
  });
});

describe("rules the server enforces are in the document", () => {
  it("refuses a query parameter an operation does not declare, on every protected operation (a misspelt option is never ignored)", async () => {
    const answers: Record<string, string> = {};
    for (const { key, method, path, operation } of operationsOf(document)) {
      if (operation["x-charon-access"] === "public") continue;
      // Required parameters are given, so that the unknown one is the request's only fault.
      const required = (operation.parameters ?? []).filter((p) => (p as { in?: string; required?: boolean }).in === "query" && (p as { required?: boolean }).required);
      const given = required.map((p) => `${(p as { name: string }).name}=example.com&`).join("");
      const concrete = `${path.replace(/\{[^}]+\}/g, "1")}?${given}unknown_option=1`;
      // A session route is called with a session (the cookie and its CSRF token) instead of a bearer token.
      const session = operation["x-charon-access"] === "session" ? { token: null, headers: (await api.signIn(api.tokens.full)).withCsrf } : {};
      const refused = await api.call(method.toUpperCase(), concrete, method === "get" || method === "delete" ? session : { body: {} });
      answers[key] = `${refused.status} ${((await refused.json()) as { message?: string }).message}`;
    }
    expect(Object.keys(answers).length).toBeGreaterThan(40);
    const wrong = Object.entries(answers).filter(([, answer]) => answer !== "400 Unknown query parameter 'unknown_option'");
    expect(wrong).toEqual([]);
  });

  it("says which credential fields each DNS provider type requires, as the server refuses a body without them", async () => {
    const types = (await api.send("GET", "/api/nginx/dns-providers/types")).body.types as Array<{
      type: string;
      credential_sets: string[][];
    }>;
    expect(types.length).toBeGreaterThanOrEqual(4);
    const descriptions = [
      (document.paths["/api/nginx/dns-providers"]!["post"]!.requestBody as { description: string }).description,
      (document.paths["/api/v1/dns-providers/{id}/credentials"]!["post"]!.requestBody as { description: string }).description,
    ];
    for (const description of descriptions) {
      for (const { type, credential_sets } of types) {
        const line = description.split("\n").find((l) => l.startsWith(`- \`${type}\`: `));
        expect(line, type).toBeDefined();
        for (const field of credential_sets.flat()) expect(line, `${type} ${field}`).toContain(`\`${field}\``);
      }
    }
    // …and the server holds a body to it: no fields at all, or a set left incomplete.
    for (const { type, credential_sets } of types) {
      const answer = await api.send("POST", "/api/nginx/dns-providers", { body: { name: `No fields ${type}`, acme_dns_provider: type, meta: {} } });
      expect(answer.status, type).toBe(400);
      expect(credential_sets.flat().some((field) => String(answer.body.details).includes(field)), answer.body.details).toBe(true);
    }
  });

  it("marks the fields a write takes back from a GET but ignores as readOnly", () => {
    const properties = (name: string) => document.components!.schemas![name]!["properties"] as Record<string, Schema>;
    expect(properties("ProxyHostCreate")["created_on"]).toMatchObject({ readOnly: true });
    expect(properties("CertificateCreate")["status"]).toMatchObject({ readOnly: true });
    expect(properties("DnsProviderUpdate")["credential_count"]).toMatchObject({ readOnly: true });
    expect(properties("CredentialUpdate")["success_rate"]).toMatchObject({ readOnly: true });
    expect(properties("SettingsUpdate")["modified_on"]).toMatchObject({ readOnly: true });
    expect(properties("TokenCreateScoped")["last_used_at"]).toMatchObject({ readOnly: true });
    expect(properties("DnsProviderCreateRoute53")["credential_count"]).toMatchObject({ readOnly: true });
  });
});

describe("/api/docs", () => {
  it("serves browsable documentation of the document", async () => {
    const docs = await api.call("GET", "/api/docs", { token: null });
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toContain("text/html");
    expect(await docs.text()).toContain("/api/openapi.json");
  });
});

describe("a method the document does not declare", () => {
  it("is a 405 naming the allowed methods on a declared path, a 404 on any other path", async () => {
    for (const [method, path, allow] of [
      ["DELETE", "/api/v1/dns-providers", ["GET", "POST"]],
      ["PUT", "/api/health", ["GET"]],
      ["PATCH", "/api/v1/tokens/7", ["DELETE"]],
      // A fixed path beside a parameter one (…/{id}): not taken as id "types".
      ["PUT", "/api/nginx/dns-providers/types", ["GET"]],
      ["PATCH", "/api/v1/dns-providers/3/credentials/test", ["POST"]],
    ] as const) {
      const response = await api.call(method, path);
      expect(response.status, `${method} ${path}`).toBe(405);
      expect(response.headers.get("allow")?.split(", ").sort()).toEqual([...allow]);
      expect(await response.json()).toMatchObject({ error: "Method not allowed", message: `${method} is not allowed on ${path}; allowed: ${response.headers.get("allow")}` });
      // …and the document indeed declares only those methods there.
      const declared = document.paths[path.replace(/\/7$/, "/{id}").replace("/3/", "/{id}/")]!;
      expect(Object.keys(declared).map((m) => m.toUpperCase()).sort()).toEqual([...allow]);
    }
    const unknown = await api.call("DELETE", "/api/v1/nothing-here");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("allow")).toBeNull();
  });
});

describe("settings' acme_directory_url", () => {
  const schema = () => (document.components!.schemas!["SettingsUpdate"]!["properties"] as Record<string, Schema>)["acme_directory_url"]!;

  it("carries its https rule in the document, as the server enforces it", async () => {
    expect(schema()["pattern"]).toMatch(/^\^https:/);
    for (const given of ["", "https://", "http://acme.example/dir", "https://a.1/dir", "https://xn--a.example/dir", "https://acme.example:65536/dir", "https://acme.example/dir#x"]) {
      expect(new RegExp(String(schema()["pattern"])).test(given), given).toBe(false);
      const refused = await api.send("PUT", "/api/v1/settings", { body: { acme_directory_url: given } });
      expect(refused.status, given).toBe(400);
      expect(refused.body.message, given).toMatch(/^acme_directory_url: /);
    }
    const accepted = await api.send("PUT", "/api/v1/settings", { body: { acme_directory_url: "https://127.0.0.1:14000/dir" } });
    expect(accepted.status).toBe(200);
    expect(accepted.body.acme_directory_url).toBe("https://127.0.0.1:14000/dir");
  });

  it("matches only https URLs that the WHATWG URL parser reads with a host, so what the document allows the server takes", () => {
    const pattern = new RegExp(String(schema()["pattern"]));
    fc.assert(
      fc.property(fc.stringMatching(pattern), (url) => {
        const parsed = new URL(url);
        expect(parsed.protocol).toBe("https:");
        expect(parsed.hostname).not.toBe("");
      }),
      { numRuns: 2000 },
    );
  });
});

describe("a body is valid by the document exactly when the server takes it (or refuses it for the state: 404, 409)", () => {
  const requestSchema = (method: string, path: string) => document.paths[path]![method]!.requestBody!.content!["application/json"]!.schema!;
  const provider = (acme_dns_provider: unknown, meta: Record<string, unknown>) => ({ name: "Agreement", acme_dns_provider, meta });
  const certificate = (domain_names: string[], meta?: Record<string, unknown>) => ({ provider: "letsencrypt", domain_names, ...(meta ? { meta } : {}) });

  it.each([
    // DNS providers: one shape per acme_dns_provider, each with its type's credential sets.
    ["post", "/api/v1/dns-providers", provider("cloudflare", { CF_API_TOKEN: "token" }), true],
    ["post", "/api/v1/dns-providers", provider("cloudflare", { api_key: "key", CF_API_EMAIL: "ops@example.com" }), true],
    ["post", "/api/v1/dns-providers", provider("cloudflare", {}), false],
    ["post", "/api/v1/dns-providers", provider("cloudflare", { api_token: "token", CF_API_TOKEN: "token" }), false],
    ["post", "/api/v1/dns-providers", provider("cloudflare", { api_token: "token", email: "ops@example.com" }), false],
    ["post", "/api/v1/dns-providers", provider("cloudflare", { api_token: "set" }), false],
    ["post", "/api/v1/dns-providers", provider("cloudflare", { api_token: "  " }), false],
    ["post", "/api/v1/dns-providers", provider("cloudflare", { api_token: "token", zone: "example.com" }), false],
    ["post", "/api/v1/dns-providers", provider("route53", { access_key_id: "AKIA", AWS_SECRET_ACCESS_KEY: "secret", region: "eu-west-1" }), true],
    ["post", "/api/v1/dns-providers", provider("route53", { access_key_id: "AKIA" }), false],
    ["post", "/api/v1/dns-providers", provider("digitalocean", { DO_AUTH_TOKEN: "token" }), true],
    ["post", "/api/v1/dns-providers", provider("powerdns", { PDNS_API_URL: "http://pdns.internal:8081", PDNS_API_KEY: "key" }), true],
    ["post", "/api/v1/dns-providers", provider("powerdns", { api_url: "ftp://pdns.internal", api_key: "key" }), false],
    ["post", "/api/v1/dns-providers", provider("powerdns", { api_url: "http://admin@pdns.internal", api_key: "key" }), false],
    ["post", "/api/v1/dns-providers", provider("godaddy", { api_token: "token" }), false],
    // Tokens: scopes go with permission "scoped" only, and a scoped token names a resource type.
    ["post", "/api/v1/tokens", { name: "r", permission: "read" }, true],
    ["post", "/api/v1/tokens", { name: "f", permission: "full", scopes: {} }, true],
    ["post", "/api/v1/tokens", { name: "s", permission: "scoped", scopes: { audit: "read" } }, true],
    ["post", "/api/v1/tokens", { name: "r", permission: "read", scopes: { audit: "read" } }, false],
    ["post", "/api/v1/tokens", { name: "s", permission: "scoped", scopes: {} }, false],
    // Certificates: a DNS challenge names a provider (none configured here: a 409), nothing else does; a wildcard needs one.
    ["post", "/api/nginx/certificates", certificate(["shop.example.com"], { dns_provider: "cloudflare" }), true],
    ["post", "/api/nginx/certificates", certificate(["*.example.com"], { dns_challenge: true, dns_provider_id: 77 }), true],
    ["post", "/api/nginx/certificates", certificate(["shop.example.com"]), true],
    ["post", "/api/nginx/certificates", certificate(["shop.example.com"], { dns_challenge: false, dns_provider: "cloudflare" }), false],
    ["post", "/api/nginx/certificates", certificate(["shop.example.com"], { dns_challenge: true }), false],
    ["post", "/api/nginx/certificates", certificate(["*.example.com"]), false],
    ["post", "/api/nginx/certificates", certificate(["shop.example.com"], { dns_provider: "gandi" }), false],
    ["post", "/api/nginx/certificates", certificate(["a..example.com"]), false],
    // Settings: at least one setting; the polling interval below the propagation timeout.
    ["put", "/api/v1/settings", { dns_propagation_timeout_seconds: 10, dns_polling_interval_seconds: 9 }, true],
    ["put", "/api/v1/settings", { dns_propagation_timeout_seconds: 10, dns_polling_interval_seconds: 10 }, false],
    ["put", "/api/v1/settings", { dns_propagation_timeout_seconds: 600, dns_polling_interval_seconds: 60 }, true],
    ["put", "/api/v1/settings", { modified_on: "2026-01-01T00:00:00Z" }, false],
    ["put", "/api/v1/settings", {}, false],
  ])("%s %s %j: valid and taken is %s", async (method, path, body, valid) => {
    expect(validate(document, requestSchema(method, path), body, "body"), "by the document").toEqual(valid ? [] : expect.arrayContaining([expect.any(String)]));
    const answer = await api.send(method.toUpperCase(), path, { body });
    const taken = answer.status < 300 || answer.status === 404 || answer.status === 409;
    expect(taken, `${answer.status} ${JSON.stringify(answer.body)}`).toBe(valid);
  });

  it("takes every ASCII domain name the document's pattern matches (proxy hosts, certificates, ?domain of …/match)", () => {
    const schema = (resolveRef(document, "#/components/schemas/CertificateCreate")["properties"] as Record<string, Schema>)["domain_names"]!["items"] as Schema;
    const match = document.paths["/api/v1/dns-providers/{id}/match"]!["get"]!.parameters!.find((p) => p.name === "domain")!.schema!;
    expect(match["pattern"]).toBe(schema["pattern"]);
    const pattern = new RegExp(String(schema["pattern"]));
    fc.assert(
      fc.property(
        fc.stringMatching(pattern).filter((name) => name.length <= Number(schema["maxLength"])),
        (name) => {
          expect(normaliseName(name), name).toMatchObject({ ok: true });
        },
      ),
      { numRuns: 5000 },
    );
    for (const refused of ["a..b", "-a.example", "a-.example", `${"a".repeat(64)}.example`, "xn--a.example", "a b.example", "*.*.example"]) {
      expect(pattern.test(refused), refused).toBe(false);
      expect(normaliseName(refused).ok, refused).toBe(false);
    }
  });

  it("takes every forward_host the document's pattern matches: upstream names, IPv4, IPv6", () => {
    const schema = (resolveRef(document, "#/components/schemas/ProxyHostCreate")["properties"] as Record<string, Schema>)["forward_host"]!;
    const pattern = new RegExp(String(schema["pattern"]));
    fc.assert(
      fc.property(
        fc.stringMatching(pattern).filter((host) => host.length <= Number(schema["maxLength"])),
        (host) => {
          expect(() => canonicalForwardHost("forward_host", host), host).not.toThrow();
        },
      ),
      { numRuns: 5000 },
    );
    for (const refused of ["0", "a.0", "1.2.3.4.5", "010.0.0.1", "10.0.0.5:8080", "[2001:db8::1", "2001:db8::g", "-bad-.example", "a/b"]) {
      expect(pattern.test(refused), refused).toBe(false);
      expect(() => canonicalForwardHost("forward_host", refused), refused).toThrow();
    }
  });

  it("takes every zone filter the document's pattern matches, but for a public suffix or a pattern given twice (which it names)", () => {
    const schema = (resolveRef(document, "#/components/schemas/CredentialCreate")["properties"] as Record<string, Schema>)["zone_filter"]!;
    const pattern = new RegExp(String(schema["pattern"]));
    expect(schema["description"]).toContain("public suffix");
    expect(schema["description"]).toContain("twice");
    fc.assert(
      fc.property(fc.stringMatching(pattern), (filter) => {
        const parsed = parseZoneFilter(filter);
        // The two refusals the description states because no regular expression can (fast-check finds both).
        if (!parsed.ok) expect(["public_suffix", "duplicate_pattern"], filter).toContain(parsed.error.code);
      }),
      { numRuns: 3000 },
    );
    for (const refused of ["a.com, b.com", "a.com;b.com", "a.com,", "a.com.", "*a.com", "a.*.com"]) {
      expect(pattern.test(refused), refused).toBe(false);
      expect(parseZoneFilter(refused).ok, refused).toBe(false);
    }
  });
});
