/**
 * The Lambda entry (API Gateway HTTP API, payload v2) answers as the Node server does: the same
 * status, content type and body for the same request, whatever the case of its headers, with
 * path parameters, query strings and base64-encoded bodies.
 */
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type ServerType } from "@hono/node-server";
import type { LambdaEvent } from "hono/aws-lambda";
import { createApp, createServices } from "@charon/api";
import { TokenService, systemClock } from "@charon/core";
import { DynamoApiTokenRepository, DynamoCrowdSecDecisionRepository, type DynamoTable } from "@charon/aws";
import { handler } from "../src/lambda.js";
import { freshTable } from "../../../test/harness/dynamodb.js";
import { silentLogger } from "../../../test/support/api.js";

const TOKEN = "chrn_lambda-test-token-0123456789abcdef";
let table: DynamoTable;
let server: ServerType;
let origin: string;

beforeAll(async () => {
  table = await freshTable();
  process.env.CHARON_TABLE_NAME = table.name;
  process.env.CHARON_SECRETS_PREFIX = "charon-lambda-test/";
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  await new TokenService(new DynamoApiTokenRepository(table), systemClock).ensureBootstrapToken(TOKEN);
  await new DynamoCrowdSecDecisionRepository(table).replaceForAgent("edge-1", [{
    id: 1,
    origin: "cscli",
    scope: "Ip",
    value: "192.0.2.10",
    type: "ban",
    scenario: "manual",
    duration: "4h",
    until: new Date(Date.now() + 4 * 3600_000).toISOString(),
  }]);
  const app = createApp({ services: createServices({ table }), logger: silentLogger });
  server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

interface Call {
  method: string;
  path: string;
  query?: string;
  headers?: Record<string, string>;
  body?: string;
  base64?: boolean;
  /** The address API Gateway saw; 203.0.113.9 unless given. */
  sourceIp?: string;
  /** The request's cookies: payload v2 passes them apart from the headers (`event.cookies`). */
  cookies?: string[];
}

/** A v2 event as API Gateway sends it for the stack's `$default` route (stacks/api.ts). */
function v2Event(call: Call): LambdaEvent {
  const query = call.query ?? "";
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: call.path,
    rawQueryString: query,
    cookies: call.cookies ?? [],
    headers: { host: "api.example.com", "x-forwarded-proto": "https", ...call.headers },
    queryStringParameters: query ? Object.fromEntries(new URLSearchParams(query)) : undefined,
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: "api.example.com",
      domainPrefix: "api",
      http: { method: call.method, path: call.path, protocol: "HTTP/1.1", sourceIp: call.sourceIp ?? "203.0.113.9", userAgent: "curl/8.5.0" },
      requestId: "JKJaXmPLvHcESHA=",
      routeKey: "$default",
      stage: "$default",
      time: "04/Jan/2026:15:30:00 +0000",
      timeEpoch: 1767540600000,
    },
    body: call.body === undefined ? undefined : call.base64 ? Buffer.from(call.body).toString("base64") : call.body,
    isBase64Encoded: call.base64 ?? false,
  } as unknown as LambdaEvent;
}

interface Answer {
  status: number;
  contentType: string | null;
  requestId: string | null;
  body: unknown;
}

async function viaLambda(call: Call): Promise<Answer> {
  const result = (await handler(v2Event(call), {} as never)) as {
    statusCode: number;
    headers: Record<string, string>;
    body: string;
    isBase64Encoded: boolean;
  };
  const text = result.isBase64Encoded ? Buffer.from(result.body, "base64").toString() : result.body;
  return {
    status: result.statusCode,
    contentType: result.headers["content-type"] ?? null,
    requestId: result.headers["x-request-id"] ?? null,
    body: text ? JSON.parse(text) : undefined,
  };
}

async function viaNode(call: Call): Promise<Answer> {
  const response = await fetch(`${origin}${call.path}${call.query ? `?${call.query}` : ""}`, {
    method: call.method,
    headers: call.headers,
    body: call.body,
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    requestId: response.headers.get("x-request-id"),
    body: text ? JSON.parse(text) : undefined,
  };
}

/** Answers compared without the parts that differ by design: the request id. */
function comparable(answer: Answer) {
  expect(answer.requestId).toMatch(/^req_[0-9a-f]{16}$/);
  const body = answer.body as Record<string, unknown> | undefined;
  if (body && typeof body === "object" && "request_id" in body) {
    expect(body["request_id"]).toBe(answer.requestId);
    return { ...answer, requestId: "…", body: { ...body, request_id: "…" } };
  }
  return { ...answer, requestId: "…" };
}

async function expectSameAnswer(call: Call): Promise<Answer> {
  const lambda = await viaLambda(call);
  const node = await viaNode(call);
  expect(comparable(lambda)).toEqual(comparable(node));
  return lambda;
}

const auth = { Authorization: `Bearer ${TOKEN}` };

describe("Lambda entry (API Gateway HTTP API v2)", () => {
  it("signs in and takes the session cookie as API Gateway passes cookies, behind CloudFront's X-Forwarded-Host", async () => {
    const raw = async (call: Call) =>
      (await handler(v2Event(call), {} as never)) as { statusCode: number; cookies?: string[]; headers: Record<string, string>; body: string };
    // What the browser sends through the console's distribution (stacks/console.ts).
    const viaCloudFront = { "x-forwarded-host": "d111.cloudfront.net", origin: "https://d111.cloudfront.net", "sec-fetch-site": "same-origin" };
    const signedIn = await raw({
      method: "POST",
      path: "/api/v1/sessions",
      headers: { ...viaCloudFront, "content-type": "application/json" },
      body: JSON.stringify({ token: TOKEN }),
    });
    expect(signedIn.statusCode).toBe(201);
    // Payload v2 answers cookies in `cookies`, not as a header.
    expect(signedIn.cookies).toEqual([expect.stringMatching(/^charon_session=[A-Za-z0-9_-]{43}; Max-Age=28800; Path=\/api; HttpOnly; Secure; SameSite=Strict$/)]);
    expect(signedIn.headers["set-cookie"]).toBeUndefined();
    const cookie = signedIn.cookies![0]!.split(";")[0]!;
    const { csrf_token: csrf } = JSON.parse(signedIn.body) as { csrf_token: string };
    const read = await raw({ method: "GET", path: "/api/v1/settings", cookies: [cookie], headers: viaCloudFront });
    expect(read.statusCode).toBe(200);
    const body = JSON.stringify({ renewal_window_days: 25 });
    const json = { ...viaCloudFront, "content-type": "application/json" };
    expect((await raw({ method: "PUT", path: "/api/v1/settings", cookies: [cookie], headers: json, body })).statusCode).toBe(403);
    expect((await raw({ method: "PUT", path: "/api/v1/settings", cookies: [cookie], headers: { ...json, "x-csrf-token": csrf }, body })).statusCode).toBe(200);
    const forged = { ...json, "x-csrf-token": csrf, origin: "https://evil.example", "sec-fetch-site": "cross-site" };
    expect((await raw({ method: "PUT", path: "/api/v1/settings", cookies: [cookie], headers: forged, body })).statusCode).toBe(403);
  });

  it("answers health checks as the Node server does", async () => {
    expect((await expectSameAnswer({ method: "GET", path: "/api/health" })).body).toEqual({ status: "ok" });
    // The health check is answered by a smaller app than the rest (lambda-app.ts): same 405 too.
    const wrongMethod = await expectSameAnswer({ method: "POST", path: "/api/health" });
    expect(wrongMethod.status).toBe(405);
  });

  it("reads headers in any case", async () => {
    for (const name of ["authorization", "AUTHORIZATION", "Authorization", "aUtHoRiZaTiOn"]) {
      const answer = await expectSameAnswer({ method: "GET", path: "/api/v1/settings", headers: { [name]: `Bearer ${TOKEN}` } });
      expect(answer.status).toBe(200);
    }
  });

  it("takes base64-encoded bodies, path parameters and query strings", async () => {
    const body = JSON.stringify({ domain_names: ["lambda.example.com"], forward_host: "10.0.0.5", forward_port: 3000 });
    const created = await viaLambda({ method: "POST", path: "/api/nginx/proxy-hosts", headers: { ...auth, "Content-Type": "application/json" }, body, base64: true });
    expect(created.status).toBe(201);
    const id = (created.body as { id: number }).id;
    const update = JSON.stringify({ forward_port: 8080 });
    const updated = await viaLambda({ method: "PUT", path: `/api/nginx/proxy-hosts/${id}`, headers: { ...auth, "content-type": "application/json" }, body: update, base64: true });
    expect(updated.body).toMatchObject({ id, forward_port: 8080 });
    await expectSameAnswer({ method: "GET", path: `/api/nginx/proxy-hosts/${id}`, headers: auth });
    await expectSameAnswer({ method: "GET", path: "/api/nginx/proxy-hosts", query: "unused=1", headers: auth });
    const decisions = await expectSameAnswer({
      method: "GET",
      path: "/api/security/crowdsec/decisions",
      query: "ip=192.0.2.10&type=ban",
      headers: auth,
    });
    expect(decisions.body).toHaveLength(1);
  });

  it("gives the same errors: 401, 404, invalid JSON, unknown fields, bad ids", async () => {
    const json = { ...auth, "Content-Type": "application/json" };
    const cases: Array<[Call, number]> = [
      [{ method: "GET", path: "/api/nginx/proxy-hosts" }, 401],
      [{ method: "GET", path: "/api/nginx/proxy-hosts", headers: { authorization: "Bearer chrn_wrong" } }, 401],
      [{ method: "GET", path: "/api/nowhere", headers: auth }, 404],
      [{ method: "GET", path: "/api/nginx/proxy-hosts/9999", headers: auth }, 404],
      [{ method: "GET", path: "/api/nginx/proxy-hosts/abc", headers: auth }, 400],
      [{ method: "POST", path: "/api/nginx/proxy-hosts", headers: json, body: "{not json" }, 400],
      [{ method: "PUT", path: "/api/v1/settings", headers: json, body: JSON.stringify({ colour: "blue" }) }, 400],
      [{ method: "PUT", path: "/api/v1/settings", headers: json, body: Buffer.from('{"renewal_window_days":0}').toString(), base64: false }, 400],
    ];
    for (const [call, status] of cases) {
      expect((await expectSameAnswer(call)).status, `${call.method} ${call.path}`).toBe(status);
    }
  });

  it("takes the client address from API Gateway's sourceIp, never from X-Forwarded-For", async () => {
    const json = { ...auth, "Content-Type": "application/json", "X-Forwarded-For": "198.51.100.66" };
    const body = JSON.stringify({ renewal_window_days: 21 });
    const saved = await viaLambda({ method: "PUT", path: "/api/v1/settings", headers: json, body, sourceIp: "2001:DB8:0:0::7" });
    expect(saved.status).toBe(200);
    const audit = await viaLambda({ method: "GET", path: "/api/v1/audit-logs", query: "action=settings_updated&limit=1", headers: auth });
    const [entry] = (audit.body as { audit_logs: Array<{ ip_address: string | null }> }).audit_logs;
    // In one spelling (RFC 5952), as the Node server writes it.
    expect(entry?.ip_address).toBe("2001:db8::7");
  });
});
