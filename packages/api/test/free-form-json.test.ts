import { beforeAll, describe, expect, it } from "vitest";
import { testHost } from "./proxy-host-samples.js";
import { testApi, type TestApi } from "../../../test/support/api.js";
import type { OpenApiDocument } from "../../../test/support/openapi.js";

// Free-form JSON (`meta` and the like) is held to what DynamoDB can store: what it refused used to
// be a 500 after validation had passed. Bodies are raw text where JSON.stringify could not write them.
let api: TestApi;
beforeAll(async () => {
  api = await testApi();
});

/** `levels` nested objects, the outermost being level 1. */
const nested = (levels: number): string => (levels === 1 ? "{}" : `{"a":${nested(levels - 1)}}`);
/** What a host's `meta` shows beside what was stored while no proxy agent serves it (its edge state). */
const NO_AGENT = { nginx_online: false, nginx_err: null };

const hostWithMeta = (meta: string) =>
  JSON.stringify(testHost({ meta: "@" })).replace('"@"', meta);
const hostCount = async () => (await api.send("GET", "/api/nginx/proxy-hosts")).body.length as number;

const NOT_EXACT = "is a number beyond ±(2^53 − 1), which storage cannot keep exactly: send it as a string";
const TOO_SMALL = "is a number closer to 0 than 1e-130, which storage cannot keep: send it as a string";
const unstorable: [string, string, string][] = [
  // The inputs of the report
  ["an empty key", '{"":1}', "meta: has an empty key, which storage cannot keep"],
  ["a number above 2^53", '{"n":9007199254740993}', `meta.n: ${NOT_EXACT}`],
  ["1e-200", '{"n":1e-200}', `meta.n: ${TOO_SMALL}`],
  ["1e309", '{"n":1e309}', `meta.n: ${NOT_EXACT}`],
  ["33 levels of nesting", nested(33), "is nested deeper than 16 levels"],
  // More of each kind
  ["an empty key further down", '{"a":[{"":true}]}', "meta.a.0: has an empty key"],
  ["a large negative integer", '{"n":-9007199254740993}', `meta.n: ${NOT_EXACT}`],
  ["1e20", '{"list":[1,1e20]}', `meta.list.1: ${NOT_EXACT}`],
  ["-1e309", '{"n":-1e309}', `meta.n: ${NOT_EXACT}`],
  ["the smallest double", '{"n":5e-324}', `meta.n: ${TOO_SMALL}`],
  ["17 levels of nesting", nested(17), "is nested deeper than 16 levels"],
  ["17 levels of arrays", `{"a":${"[".repeat(16)}${"]".repeat(16)}}`, "is nested deeper than 16 levels"],
  ["a key of 256 characters", `{"${"k".repeat(256)}":1}`, "meta: has a key longer than 255 characters"],
  ["more than 16 KiB", `{"big":"${"x".repeat(16 * 1024)}"}`, "meta: is 16394 bytes as JSON; the limit is 16384"],
];

describe("a free-form field that storage cannot keep is a 400 saying what, never a 500", () => {
  it.each(unstorable)("%s in a proxy host's meta", async (_name, meta, message) => {
    const before = await hostCount();
    const response = await api.send("POST", "/api/nginx/proxy-hosts", { body: hostWithMeta(meta) });
    expect(response.status).toBe(400);
    expect(response.body.message).toContain(message);
    expect(await hostCount()).toBe(before);
  });

  it.each(unstorable)("%s in a PUT leaves the host as it was", async (_name, meta, message) => {
    const host = (await api.send("POST", "/api/nginx/proxy-hosts", { body: testHost({ meta: { kept: 1 } }) })).body;
    const response = await api.send("PUT", `/api/nginx/proxy-hosts/${host.id}`, { body: `{"meta":${meta}}` });
    expect(response.status).toBe(400);
    expect(response.body.message).toContain(message);
    expect((await api.send("GET", `/api/nginx/proxy-hosts/${host.id}`)).body.meta).toEqual({ kept: 1, ...NO_AGENT });
  });

  it.each([
    ["a DNS provider's meta", "POST", "/api/v1/dns-providers", '{"name":"CF","acme_dns_provider":"cloudflare","meta":{"CF_API_TOKEN":"x","":"y"}}', "meta: has an empty key"],
    ["a DNS provider's meta on update", "PUT", "/api/v1/dns-providers/1", '{"meta":{"n":1e309}}', `meta.n: ${NOT_EXACT}`],
    ["a credential's fields", "POST", "/api/v1/dns-providers/1/credentials", `{"name":"A","credentials":${nested(20)}}`, "is nested deeper than 16 levels"],
    ["an unsaved credential's test", "POST", "/api/v1/dns-providers/1/credentials/test", '{"credentials":{"api_token":1e-200}}', `credentials.api_token: ${TOO_SMALL}`],
  ])("the same rule holds for %s", async (_name, method, path, body, message) => {
    const response = await api.send(method, path, { body });
    expect(response.status).toBe(400);
    expect(response.body.message).toContain(message);
  });
});

describe("what storage can keep comes back exactly", () => {
  it("numbers at the limits, 16 levels, empty objects and arrays, null", async () => {
    const meta =
      '{"max":9007199254740991,"min":-9007199254740991,"tenth":0.1,"small":1.5e-100,"zero":0,"t":true,"none":null,' +
      `"deep":${nested(15)},"list":[[],{}],"unicode":"grüße 😀"}`;
    const response = await api.send("POST", "/api/nginx/proxy-hosts", { body: hostWithMeta(meta) });
    expect(response.status).toBe(201);
    const stored = (await api.send("GET", `/api/nginx/proxy-hosts/${response.body.id}`)).body.meta;
    expect(stored).toEqual({ ...JSON.parse(meta), ...NO_AGENT });
  });
});

describe("the OpenAPI document states the rule once", () => {
  it("every free-form field refers to FreeFormObject, whose description gives the caps", async () => {
    const document = (await (await api.call("GET", "/api/openapi.json", { token: null })).json()) as OpenApiDocument;
    const schemas = document.components!.schemas!;
    expect(schemas["FreeFormObject"]!["description"]).toContain("at most 16 KiB as JSON and 16 levels of nesting");
    const refersToIt = (schema: unknown) => JSON.stringify(schema).includes('"#/components/schemas/FreeFormObject"');
    expect(refersToIt((schemas["ProxyHostCreate"]!["properties"] as Record<string, unknown>)["meta"])).toBe(true);
    // Credential fields are narrower than free-form JSON: each type's component lists its fields, text only.
    const cloudflare = schemas["CloudflareCredentialFields"]!;
    expect(cloudflare).toMatchObject({ additionalProperties: false, properties: { api_token: { type: "string" }, CF_API_TOKEN: { type: "string" } } });
    expect((schemas["DnsProviderCreateCloudflare"]!["properties"] as Record<string, unknown>)["meta"]).toEqual({ $ref: "#/components/schemas/CloudflareCredentialFields" });
    expect(JSON.stringify((schemas["CredentialCreate"]!["properties"] as Record<string, unknown>)["credentials"])).toContain('"#/components/schemas/CloudflareCredentialFields"');
  });
});
