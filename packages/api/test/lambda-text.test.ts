/**
 * The Lambda entry decodes a body in the same one place as the Node server (middleware/json-body.ts):
 * an API Gateway event whose base64 body is not UTF-8, or whose JSON holds a lone surrogate, is the
 * same 400 and stores nothing.
 */
import { beforeAll, expect, it } from "vitest";
import type { LambdaEvent } from "hono/aws-lambda";
import { TokenService, systemClock } from "@charon/core";
import { DynamoApiTokenRepository, type DynamoTable } from "@charon/aws";
import { handler } from "../src/lambda.js";
import { freshTable } from "../../../test/harness/dynamodb.js";

const TOKEN = "chrn_lambda-text-test-token-0123456789abcdef";
let table: DynamoTable;

beforeAll(async () => {
  table = await freshTable();
  process.env.CHARON_TABLE_NAME = table.name;
  process.env.CHARON_SECRETS_PREFIX = "charon-lambda-text-test/";
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  await new TokenService(new DynamoApiTokenRepository(table), systemClock).ensureBootstrapToken(TOKEN);
});

async function post(path: string, body: Buffer): Promise<{ status: number; body: { message: string } }> {
  const event = {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: "",
    headers: { host: "api.example.com", authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    requestContext: {
      http: { method: "POST", path, protocol: "HTTP/1.1", sourceIp: "203.0.113.9", userAgent: "curl/8.5.0" },
      requestId: "JKJaXmPLvHcESHA=",
      routeKey: "$default",
      stage: "$default",
      timeEpoch: 1767540600000,
    },
    body: body.toString("base64"),
    isBase64Encoded: true,
  } as unknown as LambdaEvent;
  const result = (await handler(event, {} as never)) as { statusCode: number; body: string; isBase64Encoded: boolean };
  const text = result.isBase64Encoded ? Buffer.from(result.body, "base64").toString() : result.body;
  return { status: result.statusCode, body: JSON.parse(text) as { message: string } };
}

it("refuses a body that is not UTF-8 and a lone surrogate, as the Node server does", async () => {
  const host = (note: Buffer) =>
    Buffer.concat([Buffer.from('{"domain_names":["lambda.example.com"],"forward_host":"10.0.0.5","forward_port":1,"meta":{"note":"'), note, Buffer.from('"}}')]);
  const latin1 = await post("/api/nginx/proxy-hosts", host(Buffer.from([0x67, 0x72, 0xfc, 0xdf, 0x65])));
  expect(latin1).toEqual({ status: 400, body: expect.objectContaining({ message: "body: is not valid UTF-8: send JSON text encoded as UTF-8 (RFC 8259 §8.1)" }) });
  const surrogate = await post("/api/nginx/proxy-hosts", host(Buffer.from("\\udc00")));
  expect(surrogate.status).toBe(400);
  expect(surrogate.body.message).toMatch(/^meta\.note: contains a lone surrogate/);
  const utf8 = await post("/api/nginx/proxy-hosts", host(Buffer.from("grüße")));
  expect(utf8.status).toBe(201);
  expect((await table.queryAll({ partition: "PROXYHOSTS", index: "gsi1" })).map((item) => item["meta"])).toEqual([{ note: "grüße" }]);
});
