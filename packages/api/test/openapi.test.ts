import { afterAll, describe, expect, it } from "vitest";
import { testApi } from "../../../test/support/api.js";
import { openApi31Problems, operationsOf, resolveRef, type OpenApiDocument, type Schema } from "../../../test/support/openapi.js";

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

  it("declares the bearer scheme, and every protected operation uses it with its permission", () => {
    expect(document.components?.securitySchemes?.["bearerAuth"]).toMatchObject({ type: "http", scheme: "bearer" });
    for (const { key, operation } of operationsOf(document)) {
      const access = operation["x-charon-access"];
      expect(access, key).toBeDefined();
      if (access === "public") continue;
      expect(operation.security, key).toEqual([{ bearerAuth: [] }]);
    }
  });

  it("declares every error response with the error schema on every protected operation", () => {
    const errorStatuses = ["400", "401", "403", "404", "409", "413", "415", "429", "500", "502", "503"];
    for (const { key, operation } of operationsOf(document)) {
      if (operation["x-charon-access"] === "public") continue;
      for (const status of errorStatuses) {
        const schema = operation.responses[status]?.content?.["application/json"]?.schema;
        expect(schema, `${key} ${status}`).toEqual({ $ref: "#/components/schemas/Error" });
      }
    }
    expect(resolveRef(document, "#/components/schemas/Error")).toMatchObject({ required: ["error", "message", "request_id"] });
  });

  it("documents request bodies as strict objects, so unknown fields are part of the contract", () => {
    for (const name of ["ProxyHostCreate", "ProxyHostUpdate", "CertificateCreate", "TokenCreate", "SettingsUpdate"]) {
      expect(document.components?.schemas?.[name]?.["additionalProperties"], name).toBe(false);
    }
  });
});

describe("rules the server enforces are in the document", () => {
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
    expect(properties("TokenCreate")["last_used_at"]).toMatchObject({ readOnly: true });
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
  it("carries its https rule in the document, as the server enforces it", async () => {
    const schema = JSON.stringify(document.components?.schemas?.["SettingsUpdate"]);
    expect(schema).toContain("^https:\\\\/\\\\/");
    const refused = await api.call("PUT", "/api/v1/settings", { body: { acme_directory_url: "" } });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("acme_directory_url");
  });
});
