import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createOutboundPolicy } from "@charon/outbound";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { dnsTestApp, type DnsTestApp } from "../support/dns-app.js";

/**
 * Issue 8 §5 through the API: a PowerDNS credential's `api_url` is a request on the user's behalf.
 * `t` runs as the tests configure it (CHARON_OUTBOUND_ALLOW=loopback); `strict` as a deployment
 * that allows public addresses only.
 */
let t: DnsTestApp;
let strict: DnsTestApp;
let providerId: number;
let strictProviderId: number;
let chatty: Server;
let chattyUrl: string;

async function multiProvider(app: DnsTestApp): Promise<number> {
  const created = await app.call("POST", "/api/v1/dns-providers", {
    name: `PowerDNS ${randomBytes(3).toString("hex")}`,
    acme_dns_provider: "powerdns",
    meta: { PDNS_API_URL: "https://pdns.example.com", PDNS_API_KEY: "primary-key-value" },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect((await app.call("POST", `/api/v1/dns-providers/${created.body.id}/enable-multi-credential`)).status).toBe(200);
  return created.body.id;
}

beforeAll(async () => {
  [t, strict] = await Promise.all([dnsTestApp(), dnsTestApp({ dnsClientOptions: { outbound: createOutboundPolicy() } })]);
  [providerId, strictProviderId] = await Promise.all([multiProvider(t), multiProvider(strict)]);
  // A server that answers every request with a long error full of control characters and markup.
  chatty = createServer((_request, response) => {
    response.writeHead(401, { "content-type": "application/json" });
    response.end(JSON.stringify({ error: `Unauthorized\u0000\r\nX-Injected: yes\t${"padding ".repeat(100)}end` }));
  });
  await new Promise<void>((resolve) => chatty.listen(0, "127.0.0.1", () => resolve()));
  chattyUrl = `http://127.0.0.1:${(chatty.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => chatty.close(() => resolve())));

const testUnsaved = (app: DnsTestApp, id: number, apiUrl: string, apiKey = "the-api-key-value") =>
  app.call("POST", `/api/v1/dns-providers/${id}/credentials/test`, {
    zone_filter: "*.example.com",
    credentials: { api_url: apiUrl, api_key: apiKey },
  });

describe("a PowerDNS api_url", () => {
  it("pointing at a link-local or cloud metadata address is a 400 when the credential is saved or tested", async () => {
    for (const apiUrl of [
      "http://169.254.169.254/latest/meta-data",
      "http://[fd00:ec2::254]",
      "http://100.100.100.200",
      "http://[fe80::1]:8081",
      "http://0.0.0.0:8081",
      "http://[::ffff:169.254.169.254]",
    ]) {
      const created = await t.call("POST", `/api/v1/dns-providers/${providerId}/credentials`, {
        name: `Metadata ${randomBytes(3).toString("hex")}`,
        zone_filter: "*.example.com",
        credentials: { api_url: apiUrl, api_key: "the-api-key-value" },
      });
      expect(created.status, apiUrl).toBe(400);
      expect(created.body.message, apiUrl).toMatch(/^PowerDNS api_url: .* is a (link-local|cloud metadata|reserved) address.*; the server never calls it$/);
      expect((await testUnsaved(t, providerId, apiUrl)).status, apiUrl).toBe(400);
    }
    const wrongScheme = await testUnsaved(t, providerId, "file:///etc/passwd");
    expect(wrongScheme.body.message).toBe("PowerDNS api_url must be an http:// or https:// URL");
  });

  it("pointing at the API's own DynamoDB fails the test without echoing what answered", async () => {
    const result = await testUnsaved(t, providerId, inject("dynamodbEndpoint"));
    expect(result.status).toBe(200);
    expect(result.body.status).toBe("failed");
    const text = JSON.stringify(result.body);
    for (const echoed of ["MissingAuthenticationToken", "__type", "amazon", "Request must contain", "UnknownOperation", "Exception"]) {
      expect(text, echoed).not.toContain(echoed);
    }
    // Only the status of whatever answered.
    expect(result.body.details).toMatchObject({ error_code: "400", error_message: "Bad Request" });
  });

  it("answering with a long error is passed on as one short line", async () => {
    const result = await testUnsaved(t, providerId, chattyUrl);
    expect(result.body).toMatchObject({ status: "failed", message: "API authentication failed", details: { error_code: "401" } });
    const message: string = result.body.details.error_message;
    expect(message.startsWith("Unauthorized X-Injected: yes padding")).toBe(true);
    expect(message.length).toBeLessThanOrEqual(200);
    expect([...message].some((character) => character < " ")).toBe(false);
  });

  it("on loopback is refused where the configuration does not allow it, before any connection", async () => {
    // A literal address is refused as given (below); a name only when it resolves, at connect time.
    const byName = await testUnsaved(strict, strictProviderId, inject("powerdnsApiUrl").replace("127.0.0.1", "localhost"), inject("powerdnsApiKey"));
    expect(byName.status).toBe(200);
    expect(byName.body).toMatchObject({
      status: "failed",
      message: "The server does not call the provider API's address",
      details: { provider: "powerdns", error_code: "refused" },
    });
    expect(byName.body.details.error_message).toMatch(/localhost: 127\.0\.0\.1 is a loopback address \(allow it with CHARON_OUTBOUND_ALLOW=loopback\)/);
    // The same server, allowed, answers.
    const allowed = await testUnsaved(t, providerId, inject("powerdnsApiUrl"), inject("powerdnsApiKey"));
    expect(allowed.body.status).not.toBe("failed");
  });

  it("at a literal address the configuration refuses is a 400 naming the field and the setting, on create, update and test", async () => {
    const loopback = "PowerDNS api_url: 127.0.0.1 is a loopback address (allow it with CHARON_OUTBOUND_ALLOW=loopback); the server does not call it";
    const created = await strict.call("POST", "/api/nginx/dns-providers", {
      name: `Local PowerDNS ${randomBytes(3).toString("hex")}`,
      acme_dns_provider: "powerdns",
      meta: { PDNS_API_URL: "http://127.0.0.1:8081", PDNS_API_KEY: "the-api-key-value" },
    });
    expect(created.status).toBe(400);
    expect(created.body).toMatchObject({ error: "Invalid credentials", message: loopback });
    const credential = await strict.call("POST", `/api/v1/dns-providers/${strictProviderId}/credentials`, {
      name: `Private ${randomBytes(3).toString("hex")}`,
      zone_filter: "*.example.com",
      credentials: { api_url: "http://10.1.2.3:8081", api_key: "the-api-key-value" },
    });
    expect(credential.status).toBe(400);
    expect(credential.body.message).toBe(
      "PowerDNS api_url: 10.1.2.3 is a private address (allow it with CHARON_OUTBOUND_ALLOW=private); the server does not call it",
    );
    const tested = await testUnsaved(strict, strictProviderId, inject("powerdnsApiUrl"), inject("powerdnsApiKey"));
    expect(tested.status).toBe(400);
    expect(tested.body.message).toBe(loopback);
    // An update that moves the primary credential there (the provider's meta) is refused the same way.
    const updated = await strict.call("PUT", `/api/nginx/dns-providers/${strictProviderId}`, {
      meta: { PDNS_API_URL: "http://[::1]:8081", PDNS_API_KEY: "the-api-key-value" },
    });
    expect(updated.status, JSON.stringify(updated.body)).toBe(400);
    expect(updated.body.message).toContain("::1 is a loopback address (allow it with CHARON_OUTBOUND_ALLOW=loopback)");
    // A host name is accepted: what it resolves to is checked when the server connects.
    const byName = await strict.call("POST", "/api/nginx/dns-providers", {
      name: `Named PowerDNS ${randomBytes(3).toString("hex")}`,
      acme_dns_provider: "powerdns",
      meta: { PDNS_API_URL: "http://pdns.internal:8081", PDNS_API_KEY: "the-api-key-value" },
    });
    expect(byName.status, JSON.stringify(byName.body)).toBe(201);
    // Where loopback is allowed, the same loopback address is accepted, and a private one still is not.
    expect((await testUnsaved(t, providerId, inject("powerdnsApiUrl"), inject("powerdnsApiKey"))).status).toBe(200);
    expect((await testUnsaved(t, providerId, "http://192.168.1.10:8081")).status).toBe(400);
  });

  it("with a user name or password in it is a 400 (the key belongs in api_key)", async () => {
    const result = await testUnsaved(t, providerId, "https://admin:hunter2@pdns.example.com");
    expect(result.status).toBe(400);
    expect(result.body.message).toBe("PowerDNS api_url must not contain a user name or password; the key goes in api_key");
    expect(JSON.stringify(result.body)).not.toContain("hunter2");
  });
});

describe("a one-letter API key", () => {
  // Redaction replaces secrets shorter than eight characters only where they stand as words.
  it("does not turn the provider's words into [redacted] fragments", async () => {
    const result = await testUnsaved(t, providerId, inject("powerdnsApiUrl"), "o");
    // PowerDNS answers "Unauthorized": the key's letter occurs in it, as a word it does not.
    expect(result.body).toMatchObject({ status: "failed", details: { error_code: "401", error_message: "Unauthorized" } });
  });
});
