import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@charon/local";
import { cloudflareToken, startFakeCloudflare } from "../fakes/cloudflare/index.js";
import type { JsonBody } from "../support/dns-app.js";
import { documentCurl } from "../support/document-curl.js";
import { npmStart, type StartedServer } from "../support/npm-start.js";

/**
 * The API Reference of multi-credential-dns.md, run as written: each curl command below is the
 * document's text byte for byte, executed by bash against `npm start`. Only the host, the tokens
 * and the ids change: the server allocates ids, and the document's 42/44/45 are illustrations.
 * Output options live in a `.curlrc`, so no flag is added to the commands.
 */
const DOC = {
  addProvider: `curl -X POST "http://charon:81/api/nginx/dns-providers" \\
-H "Authorization: Bearer $TOKEN" \\
-H "Content-Type: application/json" \\
-d '{
"name": "Cloudflare Production",
"acme_dns_provider": "cloudflare",
"meta": {"CF_API_TOKEN": "your-cloudflare-token"}
}'`,
  listProviders: `curl -X GET "http://charon:81/api/nginx/dns-providers" \\
-H "Authorization: Bearer $TOKEN"`,
  authentication: `curl -H "Authorization: Bearer YOUR_API_TOKEN" \\
https://your-charon-instance/api/v1/...`,
  list: `curl -X GET \\
https://your-charon-instance/api/v1/dns-providers/1/credentials \\
-H "Authorization: Bearer YOUR_API_TOKEN"`,
  get: `curl -X GET \\
https://your-charon-instance/api/v1/dns-providers/1/credentials/42 \\
-H "Authorization: Bearer YOUR_API_TOKEN"`,
  create: `curl -X POST \\
https://your-charon-instance/api/v1/dns-providers/1/credentials \\
-H "Authorization: Bearer YOUR_API_TOKEN" \\
-H "Content-Type: application/json" \\
-d '{
"name": "Customer B Production",
"description": "Credential for Customer B production domains",
"zone_filter": "*.customer-b.com",
"credentials": {
"api_token": "your-cloudflare-api-token"
}
}'`,
  update: `curl -X PATCH \\
https://your-charon-instance/api/v1/dns-providers/1/credentials/44 \\
-H "Authorization: Bearer YOUR_API_TOKEN" \\
-H "Content-Type: application/json" \\
-d '{
"description": "Updated credential description",
"zone_filter": "*.customer-b.com,*.customer-b.net"
}'`,
  delete: `curl -X DELETE \\
https://your-charon-instance/api/v1/dns-providers/1/credentials/44 \\
-H "Authorization: Bearer YOUR_API_TOKEN"`,
  test: `curl -X POST \\
https://your-charon-instance/api/v1/dns-providers/1/credentials/42/test \\
-H "Authorization: Bearer YOUR_API_TOKEN"`,
  enable: `curl -X POST \\
https://your-charon-instance/api/v1/dns-providers/1/enable-multi-credential \\
-H "Authorization: Bearer YOUR_API_TOKEN"`,
  disable: `curl -X POST \\
https://your-charon-instance/api/v1/dns-providers/1/disable-multi-credential \\
-H "Authorization: Bearer YOUR_API_TOKEN"`,
};

/**
 * The document's placeholder Cloudflare tokens, swapped for tokens of a form Cloudflare issues:
 * Cloudflare (and its fake) refuse `your-cloudflare-token` as a malformed header.
 */
const cfToken = cloudflareToken();
const cfApiToken = cloudflareToken();
const placeholders: Array<[string, string]> = [
  ["your-cloudflare-token", cfToken],
  ["your-cloudflare-api-token", cfApiToken],
];

const bootstrapToken = `chrn_e2e_${randomUUID().replaceAll("-", "")}`;
let base: string;
let server: StartedServer | undefined;
let cloudflare: Awaited<ReturnType<typeof startFakeCloudflare>>;
/** The document's ids → the ids this server allocated. */
const ids = { provider: 0, customerA: 0, customerB: 0 };

let runCurl: Awaited<ReturnType<typeof documentCurl>>;

async function curl(command: string, token = bootstrapToken): Promise<{ status: number; body: JsonBody }> {
  const { status, body } = await runCurl(command, {
    base,
    token,
    replace: [
      ["/dns-providers/1/", `/dns-providers/${ids.provider}/`],
      ["/credentials/42", `/credentials/${ids.customerA}`],
      ["/credentials/44", `/credentials/${ids.customerB}`],
      ...placeholders,
    ],
  });
  return { status, body: body as JsonBody };
}

/** Everything else the walk-through needs (tokens, certificates) goes through fetch. */
async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: JsonBody }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${bootstrapToken}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  cloudflare = await startFakeCloudflare();
  cloudflare.state.addToken(cfToken);
  cloudflare.state.addToken(cfApiToken, { zones: ["customer-a.com"] });
  for (const zone of ["customer-a.com", "customer-b.com", "example.com"]) cloudflare.state.addZone(zone);

  runCurl = await documentCurl();
  server = await npmStart({
    PORT: String(await freePort()),
    CHARON_DATA_DIR: await mkdtemp(join(tmpdir(), "charon-e2e-")),
    CHARON_TABLE_NAME: `e2e-${randomUUID()}`,
    CHARON_BOOTSTRAP_TOKEN: bootstrapToken,
    CHARON_CLOUDFLARE_API_URL: cloudflare.url,
    // The harness's DynamoDB Local (AWS_ENDPOINT_URL_DYNAMODB is inherited): no second emulator.
  });
  base = server.origin;
});

afterAll(async () => {
  await server?.interrupt();
  await cloudflare?.stop();
});

describe("multi-credential-dns.md API Reference, verbatim against npm start", () => {
  it("adds the provider with rest-api.md's request and lists it under both paths", async () => {
    const created = await curl(DOC.addProvider);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "Cloudflare Production", acme_dns_provider: "cloudflare", meta: { CF_API_TOKEN: "set" } });
    ids.provider = created.body.id;
    expect(ids.provider).toBe(1);
    const listed = await curl(DOC.listProviders);
    expect(listed.body).toEqual([created.body]);
    expect((await api("GET", `/api/v1/dns-providers/${ids.provider}`)).body).toEqual(created.body);
  });

  it("authenticates with the bearer token", async () => {
    // `/api/v1/...` stands for any path: here the provider list, which needs a token.
    const anyPath: [string, string] = ["/api/v1/...", "/api/v1/dns-providers"];
    const accepted = await runCurl(DOC.authentication, { base, token: bootstrapToken, replace: [anyPath] });
    expect(accepted.status).toBe(200);
    expect(JSON.stringify(accepted.body)).toContain('"name":"Cloudflare Production"');
    const unauthorised = await runCurl(DOC.authentication, { base, token: "chrn_wrong", replace: [anyPath] });
    expect(unauthorised.status).toBe(401);
    expect(unauthorised.body).toMatchObject({ error: "Unauthorized", message: "Invalid or expired API token" });
    const withoutToken = await fetch(`${base}/api/v1/dns-providers`);
    expect(withoutToken.status).toBe(401);
  });

  it("enables multi-credential mode: the existing credential becomes the primary catch-all", async () => {
    const enabled = await curl(DOC.enable);
    expect(enabled.status).toBe(200);
    expect(enabled.body).toEqual({
      message: "Multi-credential mode enabled",
      provider_id: ids.provider,
      migrated_credential: {
        id: expect.any(Number),
        name: "Cloudflare Primary Credential",
        zone_filter: "",
        description: "Migrated from single-credential mode",
      },
    });
    expect((await curl(DOC.enable)).body).toEqual(enabled.body); // idempotent
  });

  it("creates credentials (the document's create request, verbatim)", async () => {
    const customerA = await api("POST", `/api/v1/dns-providers/${ids.provider}/credentials`, {
      name: "Customer A Production",
      description: "Credential for Customer A production domains",
      zone_filter: "*.customer-a.com",
      credentials: { api_token: cfApiToken },
    });
    expect(customerA.status).toBe(201);
    ids.customerA = customerA.body.id;

    const created = await curl(DOC.create);
    expect(created.status).toBe(201);
    ids.customerB = created.body.id;
    expect(created.body).toMatchObject({
      provider_id: ids.provider,
      name: "Customer B Production",
      description: "Credential for Customer B production domains",
      zone_filter: "*.customer-b.com",
      last_used_at: null,
      usage_count: 0,
      success_count: 0,
      failure_count: 0,
      credentials: { api_token: "set" },
      warnings: [],
    });
    expect(created.body.created_at).toBe(created.body.updated_at);
    expect(JSON.stringify(created.body)).not.toContain(cfApiToken);
  });

  it("lists and gets credentials, with the domains that use them", async () => {
    for (const name of ["shop.customer-a.com", "api.customer-a.com", "portal.customer-a.com"]) {
      const certificate = await api("POST", "/api/nginx/certificates", {
        provider: "letsencrypt",
        domain_names: [name],
        meta: { dns_challenge: true, dns_provider: "cloudflare" },
      });
      expect(certificate.status).toBe(201);
    }
    const list = await curl(DOC.list);
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(3);
    expect(list.body.credentials.map((c: { name: string }) => c.name)).toEqual([
      "Cloudflare Primary Credential",
      "Customer A Production",
      "Customer B Production",
    ]);
    const one = await curl(DOC.get);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      id: ids.customerA,
      provider_id: ids.provider,
      name: "Customer A Production",
      description: "Credential for Customer A production domains",
      zone_filter: "*.customer-a.com",
      usage_count: 3,
    });
    expect(one.body.domains).toEqual(["api.customer-a.com", "portal.customer-a.com", "shop.customer-a.com"]);
  });

  it("updates a credential (PATCH, verbatim)", async () => {
    const updated = await curl(DOC.update);
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      id: ids.customerB,
      name: "Customer B Production",
      description: "Updated credential description",
      zone_filter: "*.customer-b.com,*.customer-b.net",
      last_used_at: null,
      usage_count: 0,
    });
    expect(updated.body.updated_at > updated.body.created_at).toBe(true);
  });

  it("refuses to delete a credential that proxy hosts use, naming the domains, then deletes it", async () => {
    const certificates: number[] = [];
    const hosts: number[] = [];
    for (const name of ["shop.customer-b.com", "api.customer-b.com", "portal.customer-b.com"]) {
      const certificate = await api("POST", "/api/nginx/certificates", {
        provider: "letsencrypt",
        domain_names: [name],
        meta: { dns_challenge: true, dns_provider: "cloudflare" },
      });
      certificates.push(certificate.body.id);
      const host = await api("POST", "/api/nginx/proxy-hosts", {
        domain_names: [name],
        forward_host: "10.0.0.5",
        forward_port: 3000,
        certificate_id: certificate.body.id,
      });
      hosts.push(host.body.id);
    }
    const refused = await curl(DOC.delete);
    expect(refused.status).toBe(409);
    // The document's answer, word for word.
    expect(refused.body).toMatchObject({
      error: "Cannot delete credential: 3 proxy hosts are using this credential",
      affected_domains: ["api.customer-b.com", "portal.customer-b.com", "shop.customer-b.com"],
    });
    for (const id of hosts) expect((await api("DELETE", `/api/nginx/proxy-hosts/${id}`)).status).toBe(200);
    for (const id of certificates) expect((await api("DELETE", `/api/nginx/certificates/${id}`)).status).toBe(200);
    const deleted = await curl(DOC.delete);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ message: "Credential deleted successfully", id: ids.customerB });
  });


  it("tests a credential against the provider: success, then failure once the token is revoked", async () => {
    const success = await curl(DOC.test);
    expect(success.status).toBe(200);
    expect(success.body).toEqual({
      status: "success",
      message: "Credential validated successfully",
      details: { provider: "cloudflare", test_performed: "zone_list", accessible_zones: ["customer-a.com"] },
    });
    cloudflare.state.addToken(cfApiToken, { status: "disabled", zones: ["customer-a.com"] });
    const failed = await curl(DOC.test);
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ status: "failed", message: "API authentication failed", details: { provider: "cloudflare" } });
  });

  it("answers the documented errors", async () => {
    const spaces = await api("POST", `/api/v1/dns-providers/${ids.provider}/credentials`, {
      name: "Spaces",
      zone_filter: "example.com, api.example.org",
      credentials: { api_token: "x-token" },
    });
    expect(spaces.status).toBe(400);
    expect(spaces.body).toMatchObject({ error: "Invalid zone filter format", details: "Zone filter cannot contain spaces" });

    const reader = await api("POST", "/api/v1/tokens", { name: "viewer", permission: "read" });
    const forbidden = await curl(DOC.create, reader.body.token);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toBe("Forbidden");

    const missing = await curl(DOC.get.replace("/credentials/42", "/credentials/999"));
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: "Not found", message: "Credential with ID 999 not found" });

    const conflict = await api("POST", `/api/v1/dns-providers/${ids.provider}/credentials`, {
      name: "Another A",
      zone_filter: "*.customer-a.com",
      credentials: { api_token: "y-token" },
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({
      error: "Conflict",
      message: "Zone filter '*.customer-a.com' conflicts with existing credential",
      conflicting_credential_id: ids.customerA,
    });
  });

  it("disables multi-credential mode: the first credential is the primary again", async () => {
    const disabled = await curl(DOC.disable);
    expect(disabled.status).toBe(200);
    expect(disabled.body).toEqual({
      message: "Multi-credential mode disabled",
      provider_id: ids.provider,
      primary_credential: { id: expect.any(Number), name: "Cloudflare Primary Credential" },
      note: "Other credentials are retained but not used. Re-enable multi-credential mode to use them again.",
    });
    expect((await curl(DOC.disable)).body).toEqual(disabled.body); // idempotent
  });
});
