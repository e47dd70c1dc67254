/**
 * rest-api.md's curl examples, run verbatim by curl against `npm start` (on the harness's
 * DynamoDB Local, with the bootstrap token). Only the host and the token change, as the
 * conventions allow. Every answer is checked against the schema the OpenAPI document declares
 * for it.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "@charon/local";
import { documentCurl } from "../support/document-curl.js";
import { npmStart } from "../support/npm-start.js";
import { responseProblems, type OpenApiDocument } from "../support/openapi.js";

const TOKEN = "chrn_rest-api-doc-token-0123456789abcdef";

const server = await npmStart({
  PORT: String(await freePort()),
  CHARON_DATA_DIR: await mkdtemp(join(tmpdir(), "charon-rest-api-")),
  CHARON_TABLE_NAME: `rest-api-${randomUUID()}`,
  CHARON_BOOTSTRAP_TOKEN: TOKEN,
  // The harness's DynamoDB Local (AWS_ENDPOINT_URL_DYNAMODB is inherited): no second emulator.
});
const base = server.origin;
const document = (await (await fetch(`${base}/api/openapi.json`)).json()) as OpenApiDocument;

afterAll(() => server.interrupt());

const runCurl = await documentCurl();

/** Runs one example against our server; every answer must match the schema the API declares. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- documented bodies, schema-checked here
async function curl(command: string, token = TOKEN): Promise<{ status: number; body: any }> {
  const { status, body, script } = await runCurl(command, { base, token });
  const [, method] = /-X (\w+)/.exec(script) ?? [];
  const [, url] = /"(http[^"]+)"/.exec(script) ?? [];
  const path = new URL(url!).pathname;
  expect(responseProblems(document, method!, path, status, body), `${method} ${path}`).toEqual([]);
  return { status, body };
}

// The examples, verbatim.
const listProxyHosts = `curl -X GET "http://charon:81/api/nginx/proxy-hosts" \\
-H "Authorization: Bearer $TOKEN"`;
const createProxyHost = `curl -X POST "http://charon:81/api/nginx/proxy-hosts" \\
-H "Authorization: Bearer $TOKEN" \\
-H "Content-Type: application/json" \\
-d '{
"domain_names": ["app.example.com"],
"forward_host": "10.0.0.5",
"forward_port": 3000,
"ssl_forced": true,
"certificate_id": 1
}'`;
const updateProxyHost = `curl -X PUT "http://charon:81/api/nginx/proxy-hosts/1" \\
-H "Authorization: Bearer $TOKEN" \\
-H "Content-Type: application/json" \\
-d '{"forward_port": 8080}'`;
const deleteProxyHost = `curl -X DELETE "http://charon:81/api/nginx/proxy-hosts/1" \\
-H "Authorization: Bearer $TOKEN"`;
const listCertificates = `curl -X GET "http://charon:81/api/nginx/certificates" \\
-H "Authorization: Bearer $TOKEN"`;
const requestCertificate = `curl -X POST "http://charon:81/api/nginx/certificates" \\
-H "Authorization: Bearer $TOKEN" \\
-H "Content-Type: application/json" \\
-d '{
"provider": "letsencrypt",
"domain_names": ["secure.example.com"],
"meta": {"dns_challenge": true, "dns_provider": "cloudflare"}
}'`;
const listDnsProviders = `curl -X GET "http://charon:81/api/nginx/dns-providers" \\
-H "Authorization: Bearer $TOKEN"`;
const addDnsProvider = `curl -X POST "http://charon:81/api/nginx/dns-providers" \\
-H "Authorization: Bearer $TOKEN" \\
-H "Content-Type: application/json" \\
-d '{
"name": "Cloudflare Production",
"acme_dns_provider": "cloudflare",
"meta": {"CF_API_TOKEN": "your-cloudflare-token"}
}'`;
const wafStatus = `curl -X GET "http://charon:81/api/security/waf" \\
-H "Authorization: Bearer $TOKEN"`;
const enableWaf = `curl -X PUT "http://charon:81/api/nginx/proxy-hosts/1" \\
-H "Authorization: Bearer $TOKEN" \\
-H "Content-Type: application/json" \\
-d '{"waf_enabled": true, "waf_mode": "block"}'`;
const listDecisions = `curl -X GET "http://charon:81/api/security/crowdsec/decisions" \\
-H "Authorization: Bearer $TOKEN"`;
const githubActionsStep = `curl -X POST "\${{ secrets.CHARON_URL }}/api/nginx/proxy-hosts" \\
-H "Authorization: Bearer \${{ secrets.CHARON_TOKEN }}" \\
-H "Content-Type: application/json" \\
-d '{
"domain_names": ["pr-\${{ github.event.number }}.preview.example.com"],
"forward_host": "\${{ steps.deploy.outputs.ip }}",
"forward_port": 3000
}'`;

/** What GitHub Actions does to a `run:` block before the shell sees it: expression substitution. */
function githubExpressions(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{\{\s*([\w.]+)\s*\}\}/g, (_, name: string) => values[name] ?? "");
}

describe("rest-api.md, verbatim against npm start", () => {
  it("DNS providers: add one, list them", async () => {
    const added = await curl(addDnsProvider);
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ name: "Cloudflare Production", acme_dns_provider: "cloudflare" });
    expect(JSON.stringify(added.body)).not.toContain("your-cloudflare-token");
    const listed = await curl(listDnsProviders);
    expect(listed.status).toBe(200);
    expect(listed.body).toHaveLength(1);
  });

  it("certificates: request one through the provider type, list them", async () => {
    const requested = await curl(requestCertificate);
    expect(requested.status).toBe(201);
    expect(requested.body).toMatchObject({ id: 1, status: "pending", domain_names: ["secure.example.com"] });
    expect(requested.body.dns_provider).toMatchObject({ type: "cloudflare", name: "Cloudflare Production" });
    const listed = await curl(listCertificates);
    expect(listed.body.map((c: { id: number }) => c.id)).toEqual([1]);
  });

  it("proxy hosts: create, list, update, enable the WAF, read the WAF status, delete", async () => {
    // Run after the certificate example, the host example gives app.example.com the certificate of
    // secure.example.com: a browser would refuse it, so the API says which name is not covered
    // (a 409: the stored certificate, not the request, is what does not fit; decision 0018).
    const mismatched = await curl(createProxyHost);
    expect(mismatched.status).toBe(409);
    expect(mismatched.body.uncovered_domain_names).toEqual(["app.example.com"]);
    const covering = await curl(requestCertificate.replace("secure.example.com", "app.example.com"));
    expect(covering.body).toMatchObject({ id: 2, domain_names: ["app.example.com"] });
    const created = await curl(createProxyHost.replace('"certificate_id": 1', '"certificate_id": 2'));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 1, domain_names: ["app.example.com"], forward_port: 3000, ssl_forced: true, certificate_id: 2 });
    expect(created.body.certificate).toMatchObject({ id: 2, status: "pending" });
    expect(created.body.certificate.issued_using).toMatch(/^Issued using credential: /);
    expect((await curl(listProxyHosts)).body).toHaveLength(1);
    const updated = await curl(updateProxyHost);
    expect(updated.body).toMatchObject({ id: 1, forward_port: 8080, forward_host: "10.0.0.5", ssl_forced: true });
    const waf = await curl(enableWaf);
    expect(waf.body).toMatchObject({ waf_enabled: true, waf_mode: "block", forward_port: 8080 });
    const status = await curl(wafStatus);
    expect(status.body).toMatchObject({ enabled: true, counts: { block: 1, monitor: 0, off: 0 } });
    expect(status.body.hosts.block).toEqual([{ id: 1, domain_names: ["app.example.com"], reported: [] }]);
    const deleted = await curl(deleteProxyHost);
    expect(deleted.status).toBe(200);
    expect((await curl(listProxyHosts)).body).toEqual([]);
  });

  it("CrowdSec decisions", async () => {
    const listed = await curl(listDecisions);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([]);
  });

  it("the GitHub Actions preview step creates a host with a token scoped to proxy_hosts:write", async () => {
    const issued = await fetch(`${base}/api/v1/tokens`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "github-actions", permission: "scoped", scopes: { proxy_hosts: "write" } }),
    });
    expect(issued.status).toBe(201);
    const value = ((await issued.json()) as { token: string }).token;
    const script = githubExpressions(githubActionsStep, {
      "secrets.CHARON_URL": "http://charon:81",
      "secrets.CHARON_TOKEN": value,
      "github.event.number": "123",
      "steps.deploy.outputs.ip": "10.20.30.40",
    });
    const created = await curl(script, "unused");
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ domain_names: ["pr-123.preview.example.com"], forward_host: "10.20.30.40", forward_port: 3000 });
    // The same token cannot touch anything else.
    const denied = await curl(listCertificates, value);
    expect(denied.status).toBe(403);
  });
});
