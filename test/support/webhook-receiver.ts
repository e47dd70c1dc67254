/**
 * A webhook receiver on loopback for the alert tests (issue 10 §4), checking every signature
 * with the README's few lines.
 */

import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";
import type { JsonBody } from "./dns-app.js";

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on loopback: records every request; answers with `statuses` in turn (then 200). */
export async function receiver() {
  const requests: Received[] = [];
  const statuses: Array<number | { status: number; location: string }> = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      requests.push({ path: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      const next = statuses.shift() ?? 200;
      if (typeof next === "number") response.writeHead(next).end("ok");
      else response.writeHead(next.status, { location: next.location }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    requests,
    statuses,
    /** Requests to `path`, their signatures checked and bodies parsed. */
    events: (path: string, secret: string) => requests.filter((r) => r.path === path).map((r) => verified(secret, r)),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The README's receiver check (Standard Webhooks): HMAC-SHA256 keyed with the base64 after
 * `whsec_` over `<webhook-id>.<webhook-timestamp>.<raw body>`, compared in constant time with
 * each `v1,` signature; the timestamp within 5 minutes. Written apart from the server's signing
 * (which uses the `standardwebhooks` library), so each checks the other.
 */
export function verified(secret: string, request: Received): JsonBody {
  const id = request.headers["webhook-id"] as string;
  const timestamp = request.headers["webhook-timestamp"] as string;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${request.body}`).digest();
  const signatures = (request.headers["webhook-signature"] as string).split(" ").map((s) => Buffer.from(s.replace(/^v1,/, ""), "base64"));
  expect(signatures.some((s) => s.length === expected.length && timingSafeEqual(s, expected)), "the signature checks").toBe(true);
  expect(request.headers["content-type"]).toBe("application/json");
  const body = JSON.parse(request.body) as JsonBody;
  expect(body.id).toBe(id);
  expect(Object.keys(body).sort()).toEqual(["data", "id", "occurred_at", "type"]);
  return { ...body, timestamp: Number(timestamp) };
}
