import { beforeAll, describe, expect, it } from "vitest";
import { testHost } from "./proxy-host-samples.js";
import { testApi, type TestApi } from "../../../test/support/api.js";
import { operationsOf, type OpenApiDocument, type Schema } from "../../../test/support/openapi.js";

// Every string a body carries is text: valid UTF-8, no lone surrogates, no control characters
// (tab and line breaks only in advanced_config). One API for the file; each case uses its own names.
let api: TestApi;
beforeAll(async () => {
  api = await testApi();
});

const hostCount = async () => (await api.send("GET", "/api/nginx/proxy-hosts")).body.length as number;

describe("a body is UTF-8 text, decoded once and strictly", () => {
  it.each([
    ["a lone continuation byte", [0x80]],
    ["a truncated two-byte sequence", [0xc3]],
    ["an overlong '/'", [0xc0, 0xaf]],
    ["an encoded surrogate", [0xed, 0xa0, 0x80]],
    ["Latin-1 'ü'", [0xfc]],
  ])("%s is a 400, not silently U+FFFD", async (_name, bytes) => {
    const before = await hostCount();
    const [head, tail] = JSON.stringify(testHost({ domain_names: ["utf8.example.com"], meta: { note: "@" } })).split("@") as [string, string];
    const body = Buffer.concat([Buffer.from(head), Buffer.from(bytes), Buffer.from(tail)]);
    const response = await api.send("POST", "/api/nginx/proxy-hosts", { body: new Uint8Array(body) });
    expect(response.status).toBe(400);
    expect(response.body.message).toBe("body: is not valid UTF-8: send JSON text encoded as UTF-8 (RFC 8259 §8.1)");
    expect(await hostCount()).toBe(before);
  });

  it("holds on every route with a body (a token name)", async () => {
    const body = Buffer.concat([Buffer.from('{"name":"ci'), Buffer.from([0xff]), Buffer.from('","permission":"read"}')]);
    const response = await api.send("POST", "/api/v1/tokens", { body: new Uint8Array(body) });
    expect(response.status).toBe(400);
    expect(response.body.message).toContain("is not valid UTF-8");
  });

  it("keeps multi-byte text and surrogate pairs as sent", async () => {
    const response = await api.send("POST", "/api/nginx/proxy-hosts", {
      body: '{"domain_names":["pair.example.com"],"forward_host":"10.0.0.5","forward_port":1,"meta":{"note":"\\ud83d\\ude00 grüße"}}',
    });
    expect(response.status).toBe(201);
    expect(response.body.meta.note).toBe("😀 grüße");
  });

  it.each([
    ["a high surrogate alone", '{"note":"\\ud800"}', "meta.note"],
    ["a low surrogate alone", '{"note":"x\\udc00"}', "meta.note"],
    ["a pair in the wrong order", '{"note":"\\udc00\\ud800"}', "meta.note"],
    ["a lone surrogate in a key", '{"\\ud800":1}', "meta.\ud800"],
    ["in an array", '{"list":["ok","\\udbff"]}', "meta.list.1"],
  ])("%s is a 400 naming the field", async (_name, meta, field) => {
    const before = await hostCount();
    const response = await api.send("POST", "/api/nginx/proxy-hosts", {
      body: `{"domain_names":["surrogate.example.com"],"forward_host":"10.0.0.5","forward_port":1,"meta":${meta}}`,
    });
    expect(response.status).toBe(400);
    expect(response.body.message).toBe(`${field}: contains a lone surrogate (an unpaired \\ud800-\\udfff escape), which is not text`);
    expect(await hostCount()).toBe(before);
  });

  it("refuses a lone surrogate in a field of any route (a token name)", async () => {
    const response = await api.send("POST", "/api/v1/tokens", { body: '{"name":"ci\\udfff","permission":"read"}' });
    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(/^name: contains a lone surrogate/);
  });
});

describe("control characters are a 400 naming the field", () => {
  const RULE = "must not contain control characters (U+0000–U+001F, U+007F–U+009F)";
  const cases: [string, string, string, unknown, string][] = [
    ["a NUL in a domain name", "POST", "/api/nginx/proxy-hosts", testHost({ domain_names: ["a\u0000.example.com"] }), `domain_names.0: ${RULE}`],
    ["a NUL in advanced_config", "POST", "/api/nginx/proxy-hosts", testHost({ advanced_config: "proxy_buffering off;\u0000" }), "advanced_config: must not contain control characters other than tab, line feed and carriage return"],
    ["an escape in a location's advanced_config", "POST", "/api/nginx/proxy-hosts", testHost({ locations: [{ path: "/", forward_host: "a", forward_port: 1, advanced_config: "\u001b[2J" }] }), "locations.0.advanced_config: must not contain control characters other than"],
    ["a NUL in a meta string", "POST", "/api/nginx/proxy-hosts", testHost({ meta: { note: "a\u0000b" } }), "meta.note: contains a control character"],
    ["a bell in a nested meta string", "POST", "/api/nginx/proxy-hosts", testHost({ meta: { a: [{ b: "\u0007" }] } }), "meta.a.0.b: contains a control character"],
    ["a NUL in a meta key", "POST", "/api/nginx/proxy-hosts", testHost({ meta: { "k\u0000": 1 } }), "meta: has a key with a control character"],
    ["a NUL in a token name", "POST", "/api/v1/tokens", { name: "ci\u0000", permission: "read" }, `name: ${RULE}`],
    ["a line break in a token name", "POST", "/api/v1/tokens", { name: "ci\nadmin", permission: "read" }, `name: ${RULE}`],
    ["a C1 control in a certificate's nice_name", "POST", "/api/nginx/certificates", { provider: "letsencrypt", nice_name: "x\u0085y", domain_names: ["c1.example.com"] }, `nice_name: ${RULE}`],
    ["a DEL in a DNS provider's name", "POST", "/api/v1/dns-providers", { name: "CF\u007f", acme_dns_provider: "cloudflare", meta: { CF_API_TOKEN: "x" } }, `name: ${RULE}`],
    ["a NUL in a DNS provider's credential field", "POST", "/api/v1/dns-providers", { name: "CF", acme_dns_provider: "cloudflare", meta: { CF_API_TOKEN: "x\u0000" } }, "meta.CF_API_TOKEN: contains a control character"],
    ["a terminal escape in a credential name", "POST", "/api/v1/dns-providers/1/credentials", { name: "A\u001b[31m", credentials: { api_token: "x" } }, `name: ${RULE}`],
    ["a BEL in a credential description", "POST", "/api/v1/dns-providers/1/credentials", { name: "A", description: "a\u0007b", credentials: { api_token: "x" } }, "description: must not contain control characters other than tab, line feed and carriage return"],
    ["a NUL in a credential's secret", "POST", "/api/v1/dns-providers/1/credentials", { name: "A", credentials: { api_token: "x\u0000" } }, "credentials.api_token: contains a control character"],
    ["a NUL in the ACME directory URL", "PUT", "/api/v1/settings", { acme_directory_url: "https://acme.example/dir\u0000" }, "acme_directory_url:"],
  ];
  it.each(cases)("%s", async (_name, method, path, body, message) => {
    const response = await api.send(method, path, { body });
    expect(response.status).toBe(400);
    expect(response.body.message).toContain(message);
  });

  it("keeps tabs and line breaks in advanced_config", async () => {
    const config = "location /x {\r\n\tproxy_buffering off;\n}\n";
    const response = await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost({ advanced_config: config }) });
    expect(response.status).toBe(201);
    expect(response.body.advanced_config).toBe(config);
  });

  it("every string field of every request body says so in the OpenAPI document", async () => {
    const document = (await (await api.call("GET", "/api/openapi.json", { token: null })).json()) as OpenApiDocument;
    const schemas = document.components?.schemas ?? {};
    const unguarded: string[] = [];
    const visit = (schema: Schema | undefined, where: string, seen: Set<string>): void => {
      if (!schema) return;
      const ref = schema["$ref"];
      if (typeof ref === "string") {
        const name = ref.replace("#/components/schemas/", "");
        if (name === "FreeFormObject") return; // its strings and keys are checked as a whole (free-form-json.test.ts)
        if (!seen.has(name)) visit(schemas[name], where, new Set([...seen, name]));
        return;
      }
      // An e-mail address or a timestamp in its format has no control characters by definition.
      const textFormat = schema["format"] === "email" || schema["format"] === "date-time";
      if (schema["type"] === "string" && schema["enum"] === undefined && schema["const"] === undefined && !textFormat) {
        const patterns = [schema["pattern"], ...((schema["allOf"] as Schema[] | undefined) ?? []).map((s) => s["pattern"])];
        const guarded = patterns.some((p) => typeof p === "string" && !new RegExp(p, "u").test("a\u0000b") && !new RegExp(p, "u").test("a\u0085b"));
        if (!guarded) unguarded.push(where);
      }
      for (const [key, value] of Object.entries((schema["properties"] as Record<string, Schema> | undefined) ?? {})) {
        visit(value, `${where}.${key}`, seen);
      }
      visit(schema["items"] as Schema | undefined, `${where}[]`, seen);
      for (const keyword of ["anyOf", "oneOf", "allOf"]) {
        for (const [i, part] of ((schema[keyword] as Schema[] | undefined) ?? []).entries()) visit(part, `${where}|${i}`, seen);
      }
      // A free-form object (additionalProperties) must be the one storable schema, or say which shapes it takes (anyOf, visited above).
      if (schema["additionalProperties"] !== undefined && schema["properties"] === undefined && schema["anyOf"] === undefined) {
        unguarded.push(`${where} (free-form)`);
      }
    };
    for (const { key, operation } of operationsOf(document)) {
      visit(operation.requestBody?.content?.["application/json"]?.schema, key, new Set());
    }
    expect(unguarded).toEqual([]);
  });
});

describe("the CSV export never carries a control character stored before this rule", () => {
  it("writes them out as \\u escapes", async () => {
    // A token named before names were checked: its name is in every audit entry it causes.
    const legacy = await api.issue({ name: "old\u0000token\u001b[2J" });
    await api.send("POST", "/api/nginx/proxy-hosts", { token: legacy, body: testHost({ domain_names: ["csv.example.com"] }) });
    const response = await api.call("GET", "/api/v1/audit-logs?format=csv&action=proxy_host_created");
    const csv = await response.text();
    // eslint-disable-next-line no-control-regex -- looking for them is the point
    expect(csv.replace(/\r\n/g, "")).not.toMatch(/[\x00-\x1F\x7F-\x9F]/);
    expect(csv).toContain("old\\u0000token\\u001b[2J");
  });
});
