import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CaRateLimited, CaUnreachable, loadAcmeClient } from "../src/acme-client.js";

/** A CA that answers 429 rateLimited (RFC 8555 §6.6) with Retry-After, or 200, on loopback. */
let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === "/limited") {
      response.writeHead(429, { "content-type": "application/problem+json", "retry-after": "3600" });
      response.end(JSON.stringify({ type: "urn:ietf:params:acme:error:rateLimited", detail: "too many new orders (300) for this account in the last 3h0m0s" }));
      return;
    }
    response.writeHead(200, { "content-type": "application/json" });
    response.end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("acme-client as the issuer loads it", () => {
  it("turns the CA's 429 into a CaRateLimited carrying its problem and Retry-After, at once (no sleeping retries)", async () => {
    const acme = await loadAcmeClient();
    // acme-client's own requests take every status as an answer (`validateStatus: null`, src/http.js).
    for (const options of [{ validateStatus: null }, {}]) {
      const error = await acme.axios.get(`${base}/limited`, options).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CaRateLimited);
      expect(error).toMatchObject({
        retryAfterSeconds: 3600,
        message: "urn:ietf:params:acme:error:rateLimited: too many new orders (300) for this account in the last 3h0m0s",
      });
    }
    expect((await acme.axios.get(`${base}/fine`, { validateStatus: null })).status).toBe(200);
  });

  it("says which URL of the CA did not answer and why, for a connection refused, instead of acme-client's TypeError", async () => {
    const acme = await loadAcmeClient();
    // A port that was just free on loopback: nothing listens there.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/directory`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    for (const options of [{ validateStatus: null }, {}]) {
      const error = await acme.axios.get(url, options).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CaUnreachable);
      expect((error as Error).message).toBe(`The CA did not answer GET ${url}: connect ECONNREFUSED ${url.slice("http://".length, -"/directory".length)}`);
    }
  });
});
