import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloudflareToken, startFakeCloudflare } from "./cloudflare/index.js";
import { digitalOceanToken, startFakeDigitalOcean } from "./digitalocean/index.js";

/**
 * The fakes refuse what the real APIs refuse (as their references document it), so an adapter
 * that sends what the provider would reject fails here as it would in production.
 */
let cloudflare: Awaited<ReturnType<typeof startFakeCloudflare>>;
let digitalocean: Awaited<ReturnType<typeof startFakeDigitalOcean>>;
const cfToken = cloudflareToken();
const doToken = digitalOceanToken();

beforeAll(async () => {
  cloudflare = await startFakeCloudflare();
  cloudflare.state.addToken(cfToken);
  digitalocean = await startFakeDigitalOcean();
  digitalocean.state.addToken(doToken);
});
afterAll(async () => {
  await cloudflare?.stop();
  await digitalocean?.stop();
});

async function send(url: string, token: string, method = "GET", body?: unknown) {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("the Cloudflare fake", () => {
  it("holds only credentials of the forms Cloudflare issues", () => {
    expect(() => cloudflare.state.addToken("cf-test-token")).toThrow("Cloudflare never issues an API token like 'cf-test-token'");
    expect(() => cloudflare.state.addGlobalKey("ops@example.com", "global-key-1234567890")).toThrow(/never issues a global API key/);
    expect(() => cloudflare.state.addToken("a".repeat(40))).not.toThrow();
  });

  it("creates only the record types Cloudflare serves, with Cloudflare's validation error", async () => {
    const zone = cloudflare.state.addZone("types.example");
    const create = (type: string) =>
      send(`${cloudflare.url}/zones/${zone.id}/dns_records`, cfToken, "POST", { type, name: "_x", content: "v", ttl: 120 });
    expect((await create("TXT")).status).toBe(200);
    for (const type of ["SPF", "txt", "ALIAS", "ANAME", ""]) {
      const refused = await create(type);
      expect(refused.status, type).toBe(400);
      expect(refused.body["errors"]).toEqual([{ code: 1004, message: "DNS Validation Error" }]);
    }
  });

  it("answers a malformed token with Cloudflare's header error chain", async () => {
    const refused = await send(`${cloudflare.url}/zones`, "your-cloudflare-token");
    expect(refused.status).toBe(400);
    expect(refused.body["errors"]).toEqual([
      { code: 6003, message: "Invalid request headers", error_chain: [{ code: 6111, message: "Invalid format for Authorization header" }] },
    ]);
  });
});

describe("the DigitalOcean fake", () => {
  it("holds only tokens of the forms DigitalOcean issues", () => {
    expect(() => digitalocean.state.addToken("do-good-token")).toThrow("DigitalOcean never issues a token like 'do-good-token'");
    expect(() => digitalocean.state.addToken(`dor_v1_${"0".repeat(64)}`)).toThrow(/never issues/);
  });

  it("looks domain names up in any case, as DNS names are", async () => {
    digitalocean.state.addDomain("Mixed-Case.example");
    const found = await send(`${digitalocean.url}/domains/MIXED-case.EXAMPLE/records`, doToken);
    expect(found.status).toBe(200);
    expect(found.body["domain_records"]).toEqual([]);
  });

  it("creates only the record types the API takes", async () => {
    digitalocean.state.addDomain("do-types.example");
    const create = (type: string) =>
      send(`${digitalocean.url}/domains/do-types.example/records`, doToken, "POST", { type, name: "_x", data: "v", ttl: 30 });
    expect((await create("TXT")).status).toBe(201);
    for (const type of ["SOA", "SPF", "txt"]) expect((await create(type)).status, type).toBe(422);
  });

  it("answers an unknown token 401 with DigitalOcean's wording", async () => {
    const refused = await send(`${digitalocean.url}/domains`, digitalOceanToken());
    expect(refused).toEqual({ status: 401, body: { id: "Unauthorized", message: "Unable to authenticate you" } });
  });
});
