import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDynamoTable } from "@charon/aws";
import { createApp, createServices } from "@charon/api";
import { silentLogger, testApi, type TestApi } from "../support/api.js";

/**
 * README: "a data store that does not answer [is] a 503 with `Retry-After`" — for reads too,
 * not only writes: a throttled DynamoDB and one that is not running.
 */
const READS = new Set(["GetItemCommand", "BatchGetItemCommand", "QueryCommand", "ScanCommand"]);
const GET_ROUTES = [
  "/api/nginx/proxy-hosts",
  "/api/nginx/proxy-hosts/1",
  "/api/nginx/certificates",
  "/api/nginx/dns-providers",
  "/api/v1/dns-providers/1/credentials",
  "/api/v1/audit-logs",
  "/api/v1/tokens",
  "/api/v1/settings",
];

let api: TestApi;
let throttled = false;

beforeAll(async () => {
  api = await testApi();
  expect((await api.send("POST", "/api/nginx/proxy-hosts", { body: { domain_names: ["read.example.com"], forward_host: "10.0.0.5", forward_port: 80 } })).status).toBe(201);
  // Inside the table's own error translation, outside the SDK's retries: what DynamoDB answers
  // once the SDK has given up on a throttled table. The token lookup goes through, so the
  // failure is the route's own read.
  api.table.client.middlewareStack.add(
    (next, context) => async (args) => {
      const key = (args.input as { Key?: { pk?: unknown } }).Key;
      const tokenLookup = typeof key?.pk === "string" && key.pk.startsWith("TOKEN#");
      if (throttled && READS.has(context.commandName ?? "") && !tokenLookup) {
        throw Object.assign(new Error("The level of configured provisioned throughput for the table was exceeded."), {
          name: "ProvisionedThroughputExceededException",
          $fault: "client",
        });
      }
      return next(args);
    },
    { step: "initialize", priority: "low", name: `throttleReads-${randomBytes(4).toString("hex")}` },
  );
});
afterAll(() => api?.stop());

describe("reads while the data store does not answer", () => {
  it.each(GET_ROUTES)("GET %s on a throttled table is a 503 with Retry-After, then answers again", async (path) => {
    throttled = true;
    try {
      const response = await api.send("GET", path);
      expect(response.status, JSON.stringify(response.body)).toBe(503);
      expect(response.headers.get("retry-after")).toBe("2");
      expect(response.body).toMatchObject({ error: "Service unavailable", message: "The data store did not answer in time; retry in a few seconds" });
    } finally {
      throttled = false;
    }
    expect((await api.send("GET", path)).status).not.toBe(503);
  });

  it("with DynamoDB not running at all, a read is a 503 too (and so is the token lookup)", async () => {
    const port = await closedPort();
    const table = createDynamoTable(api.table.name, { endpoint: `http://127.0.0.1:${port}`, maxAttempts: 2 });
    const app = createApp({ services: createServices({ table }), logger: silentLogger });
    const response = await app.request("/api/nginx/proxy-hosts", { headers: { Authorization: `Bearer ${api.tokens.full}` } });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("2");
    expect(await response.json()).toMatchObject({ error: "Service unavailable" });
  });
});

/** A loopback port nothing listens on (taken from the kernel, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
