/**
 * What the OpenAPI document says is what the server does: statuses the HTTP server itself gives
 * are declared, and every integer parameter is read by one parser whose rules (plain decimal,
 * `minimum`, `maximum`) the document states.
 */
import { serve } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { testApi } from "../../../test/support/api.js";
import { operationsOf, type OpenApiDocument, type Schema } from "../../../test/support/openapi.js";

const api = await testApi();
afterAll(() => api.stop());
const document = (await (await api.call("GET", "/api/openapi.json", { token: null })).json()) as OpenApiDocument;

describe("statuses the HTTP server answers itself", () => {
  it("431 for headers over 16 KiB: given by Node before the app, and declared on every operation", async () => {
    const server = serve({ fetch: api.app.fetch, port: 0, hostname: "127.0.0.1" });
    try {
      await new Promise((resolve) => server.once("listening", resolve));
      const { port } = server.address() as AddressInfo;
      const call = (headers: Record<string, string>) => fetch(`http://127.0.0.1:${port}/api/health`, { headers });
      expect((await call({ "X-Padding": "a".repeat(8 * 1024) })).status).toBe(200);
      expect((await call({ "X-Padding": "a".repeat(17 * 1024) })).status).toBe(431);
      const cookies = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`X-Part-${i}`, "b".repeat(500)]));
      expect((await call(cookies)).status).toBe(431);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const undeclared = operationsOf(document).filter((o) => o.operation.responses["431"] === undefined).map((o) => o.key);
    expect(undeclared).toEqual([]);
  });
});

/** Every integer parameter of the document, with an operation to call it on. */
const integerParameters = operationsOf(document).flatMap((entry) =>
  (entry.operation.parameters ?? [])
    .filter((p) => p.schema?.["type"] === "integer")
    .map((p) => ({ key: entry.key, method: entry.method, path: entry.path, name: p.name, in: p.in, schema: p.schema as Schema })),
);

describe("integer parameters", () => {
  it("are documented with their bounds: ids from 1, page sizes within their range", () => {
    const bounds = integerParameters.map((p) => `${p.key} ${p.name} ${String(p.schema["minimum"])}..${String(p.schema["maximum"])}`);
    expect(integerParameters.length).toBeGreaterThan(40);
    expect(bounds.filter((b) => /undefined/.test(b))).toEqual([]);
    const ids = integerParameters.filter((p) => p.in === "path" || p.name.endsWith("_id"));
    expect(ids.every((p) => p.schema["minimum"] === 1)).toBe(true);
    expect(integerParameters.find((p) => p.key === "GET /api/nginx/proxy-hosts" && p.name === "limit")?.schema).toMatchObject({
      minimum: 1,
      maximum: 500,
      default: 100,
    });
  });

  // Each form a lenient parser (Number, parseInt, z.coerce) would read as a number.
  const forms = ["1e2", "0x10", "+5", "010", "5.0", " 5", "1_0", "0b11", "Infinity"];
  it.each(integerParameters)("$key: $name ($in) refuses forms other than plain decimal, and values out of range", async (parameter) => {
    const valid = (name: string) => (name === parameter.name ? undefined : "1");
    const request = async (value: string) => {
      const path = parameter.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(valid(name) ?? value));
      const query = parameter.in === "query" ? `?${parameter.name}=${encodeURIComponent(value)}` : "";
      const extra = parameter.key.endsWith("/match") ? `${query ? "&" : "?"}domain=www.example.com` : "";
      const body = ["post", "put", "patch"].includes(parameter.method) ? {} : undefined;
      return api.send(parameter.method.toUpperCase(), `${path}${query}${extra}`, { body });
    };
    for (const form of [...forms, String(Number(parameter.schema["minimum"]) - 1), String(Number(parameter.schema["maximum"]) + 1)]) {
      const answer = await request(form);
      expect(answer.status, `${parameter.name}=${form}`).toBe(400);
      expect(answer.body.details, `${parameter.name}=${form}`).toMatch(new RegExp(`^${parameter.name}: `));
    }
  });
});
