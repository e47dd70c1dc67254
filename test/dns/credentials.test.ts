import { beforeAll, describe, expect, it } from "vitest";
import { dnsTestApp, storedSecretNames, type DnsTestApp } from "../support/dns-app.js";
import { certificateFor, providerWith } from "./helpers.js";

let t: DnsTestApp;
beforeAll(async () => {
  t = await dnsTestApp();
});

const credentialsOf = (providerId: number) => `/api/v1/dns-providers/${providerId}/credentials`;

describe("bad input: every documented validation message, never a 500", () => {
  let providerId: number;
  beforeAll(async () => {
    ({ providerId } = await providerWith(t, { Existing: "example.org" }));
  });

  const create = (body: Record<string, unknown>) =>
    t.call("POST", credentialsOf(providerId), { name: "Bad", credentials: { api_token: "bad-input-token" }, ...body });

  it.each([
    ["example..com", "Zone filter pattern 'example..com' has an empty label"],
    ["example.com.", "Zone filter pattern 'example.com.' has a trailing dot"],
    ["*customer-a.com", "Zone filter pattern '*customer-a.com' has a misplaced '*': use '*.' at the start"],
    ["example.com, api.example.org", "Zone filter cannot contain spaces"],
    ["example.com; api.example.org", "Zone filter uses ';' as separator: separate patterns with ','"],
    ["a.com,,b.com", "Zone filter has an empty entry"],
    ["a.com,", "Zone filter has an empty entry"],
    ["a.com,A.com", "Zone filter pattern 'a.com' appears twice"],
    ["co.uk", "Zone filter pattern 'co.uk' is a public suffix and would match every customer's domains"],
  ])("zone filter %j → 400 %j", async (zoneFilter, details) => {
    const answer = await create({ zone_filter: zoneFilter });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: "Invalid zone filter format", message: details, details });
  });

  it("names unknown, missing and malformed fields", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ credentials: {} }, "Cloudflare needs api_token, or api_key and email"],
      [{ credentials: { api_tokn: "x" } }, "Unknown credential field 'api_tokn' for provider 'cloudflare'"],
      [{ credentials: { api_key: "k" } }, "Cloudflare needs api_token, or api_key and email"],
      [{ credentials: { api_token: "" } }, "Credential field 'api_token' must not be empty"],
      [{ colour: "blue" }, "Unknown field 'colour'"],
      [{ name: "   " }, "name: must not be empty"],
    ];
    for (const [body, message] of cases) {
      const answer = await create(body);
      expect(answer.status, message).toBe(400);
      expect(answer.body.message).toBe(message);
    }
    const noName = await t.call("POST", credentialsOf(providerId), { credentials: { api_token: "x" } });
    expect(noName.body.message).toBe("name: is required");
    // Another type's complete credential is sound by the document (which takes any type's fields: the
    // path names the provider): the stored provider's type is what refuses it, a 409.
    const route53 = await create({ credentials: { AWS_ACCESS_KEY_ID: "AKIA", AWS_SECRET_ACCESS_KEY: "secret" } });
    expect(route53.status).toBe(409);
    expect(route53.body.message).toBe(
      `credentials: these are Route 53 credential fields, and DNS provider ${providerId} is Cloudflare: Unknown credential field 'AWS_ACCESS_KEY_ID' for provider 'cloudflare'`,
    );
    const notJson = await t.call("POST", credentialsOf(providerId), "{not json", { "Content-Type": "application/json" });
    expect(notJson.status).toBe(400);
  });

  it("malformed ids are a 400 naming the id; unknown ids a 404 in the documents' words", async () => {
    for (const [path, message] of [
      [`${credentialsOf(providerId)}/abc`, "credentialId: 'abc' is not a valid ID: IDs are positive integers"],
      [`${credentialsOf(providerId)}/0`, "credentialId: '0' is not a valid ID: IDs are positive integers"],
      [`${credentialsOf(providerId)}/-4`, "credentialId: '-4' is not a valid ID: IDs are positive integers"],
      ["/api/v1/dns-providers/abc/credentials", "id: 'abc' is not a valid ID: IDs are positive integers"],
      ["/api/nginx/dns-providers/1.5", "id: '1.5' is not a valid ID: IDs are positive integers"],
    ]) {
      const answer = await t.call("GET", path!);
      expect(answer.status, path).toBe(400);
      expect(answer.body.message).toBe(message);
    }
    expect((await t.call("GET", `${credentialsOf(providerId)}/999`)).body).toMatchObject({
      error: "Not found",
      message: "Credential with ID 999 not found",
    });
    for (const [method, path] of [
      ["PATCH", `${credentialsOf(providerId)}/999`],
      ["DELETE", `${credentialsOf(providerId)}/999`],
      ["POST", `${credentialsOf(providerId)}/999/test`],
    ] as const) {
      const answer = await t.call(method, path, method === "PATCH" ? { description: "x" } : undefined);
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.body.message).toBe("Credential with ID 999 not found");
    }
    const noProvider = await t.call("GET", "/api/v1/dns-providers/987654/credentials");
    expect(noProvider.body).toMatchObject({ error: "Not found", message: "DNS provider with ID 987654 not found" });
  });

  it("providers: unknown types, missing secrets, a changed type", async () => {
    const unknown = await t.call("POST", "/api/nginx/dns-providers", { name: "X", acme_dns_provider: "godaddy", meta: {} });
    expect(unknown.status).toBe(400);
    // The body's shape is one per type (the document's oneOf on acme_dns_provider): the field is named.
    expect(unknown.body).toMatchObject({
      error: "Invalid request body",
      message: "acme_dns_provider: Unknown DNS provider type 'godaddy'; supported types: cloudflare, route53, digitalocean, powerdns",
    });
    const missing = await t.call("POST", "/api/nginx/dns-providers", { name: "R53", acme_dns_provider: "route53", meta: { AWS_ACCESS_KEY_ID: "AKIA" } });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toBe("Route 53 needs access_key_id and secret_access_key");
    const retyped = await t.call("PUT", `/api/nginx/dns-providers/${providerId}`, { acme_dns_provider: "route53" });
    // Another supported type: a sound request the stored provider cannot take (docs/decisions/0018).
    expect(retyped.status).toBe(409);
    expect(retyped.body.message).toMatch(/^acme_dns_provider: a DNS provider cannot change type/);
  });

  it("a credential can only be added in multi-credential mode", async () => {
    const single = await t.call("POST", "/api/v1/dns-providers", { name: "Single", acme_dns_provider: "cloudflare", meta: { CF_API_TOKEN: "single-token" } });
    const answer = await t.call("POST", credentialsOf(single.body.id), { name: "Second", credentials: { api_token: "second-token" } });
    expect(answer.status).toBe(409);
    expect(answer.body.message).toBe(
      `Multi-credential mode is not enabled for DNS provider ${single.body.id}; enable it with POST /api/v1/dns-providers/${single.body.id}/enable-multi-credential`,
    );
  });

  it("a certificate for a name no credential matches fails with the documents' message", async () => {
    const answer = await t.call("POST", "/api/nginx/certificates", {
      provider: "letsencrypt",
      domain_names: ["shop.customer-a.com"],
      meta: { dns_challenge: true, dns_provider_id: providerId },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe("No credential found for provider 'cloudflare' and zone 'customer-a.com'");
  });
});

describe("credential lifecycle", () => {
  it("creates with either spelling, shows which fields are set, and warns about overlaps", async () => {
    const { providerId, ids } = await providerWith(t, { Root: "example.com" });
    const created = await t.call("POST", credentialsOf(providerId), {
      name: "Staging",
      description: "Staging zones",
      zone_filter: "*.Staging.Example.com",
      credentials: { CF_API_KEY: "global-key-value", CF_API_EMAIL: "ops@example.com" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      zone_filter: "*.staging.example.com",
      enabled: true,
      credentials: { api_key: "set", email: "ops@example.com" },
      warnings: [
        {
          code: "overlap",
          credential_id: ids.Root,
          pattern: "*.staging.example.com",
          message: expect.stringContaining("overlaps 'example.com'"),
        },
      ],
    });
  });

  it("paginates the list with a cursor and a total", async () => {
    const filters = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`Page ${i}`, `*.p${i}.example.com`]));
    const { providerId } = await providerWith(t, filters);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { credentials: Array<{ name: string }>; total: number; next_cursor: string | null } } = await t.call(
        "GET",
        `${credentialsOf(providerId)}?limit=3${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.total).toBe(8);
      seen.push(...page.body.credentials.map((c) => c.name));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(8);
    expect(new Set(seen).size).toBe(8);
    expect((await t.call("GET", `${credentialsOf(providerId)}?limit=0`)).status).toBe(400);
    expect((await t.call("GET", `${credentialsOf(providerId)}?cursor=bogus`)).body.error).toBe("Invalid cursor");
  });

  it("a filter change re-evaluates every certificate name and reports the ones that moved", async () => {
    const { providerId, ids } = await providerWith(t, { Fallback: "" });
    await certificateFor(t, providerId, ["shop.customer-a.com", "www.example.com"]);
    await certificateFor(t, providerId, ["api.customer-a.com"]);

    const customerA = await t.call("POST", credentialsOf(providerId), {
      name: "Customer A",
      zone_filter: "*.customer-a.com",
      credentials: { api_token: "customer-a-token" },
    });
    expect(customerA.status).toBe(201);
    expect(customerA.body.reassigned_domains.map((r: { domain: string }) => r.domain).sort()).toEqual(["api.customer-a.com", "shop.customer-a.com"]);
    const one = await t.call("GET", `${credentialsOf(providerId)}/${customerA.body.id}`);
    expect(one.body).toMatchObject({ usage_count: 2, domains: ["api.customer-a.com", "shop.customer-a.com"] });
    expect((await t.call("GET", `${credentialsOf(providerId)}/${ids.Fallback}`)).body).toMatchObject({ usage_count: 1, domains: ["www.example.com"] });

    const narrowed = await t.call("PATCH", `${credentialsOf(providerId)}/${customerA.body.id}`, { zone_filter: "shop.customer-a.com" });
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.reassigned_domains).toEqual([
      { domain: "api.customer-a.com", certificate_id: expect.any(Number), from_credential_id: customerA.body.id, to_credential_id: ids.Fallback },
    ]);
    expect((await t.call("GET", `${credentialsOf(providerId)}/${ids.Fallback}`)).body.usage_count).toBe(2);
  });

  it("runs the documented rotation: new credential disabled, old deprecated, new enabled, old deleted", async () => {
    const { providerId, ids } = await providerWith(t, { Old: "*.rotate.example.com" });
    await certificateFor(t, providerId, ["a.rotate.example.com", "b.rotate.example.com"]);
    const fresh = await t.call("POST", credentialsOf(providerId), {
      name: "New",
      zone_filter: "*.rotate.example.com",
      enabled: false,
      credentials: { api_token: "new-rotation-token" },
    });
    expect(fresh.status).toBe(201);
    // Deprecating the old filter frees the pattern; names keep the old credential until one matches.
    const deprecated = await t.call("PATCH", `${credentialsOf(providerId)}/${ids.Old}`, { zone_filter: "__deprecated__" });
    expect(deprecated.body).toMatchObject({ zone_filter: "__deprecated__", usage_count: 2, reassigned_domains: [] });
    const enabled = await t.call("PATCH", `${credentialsOf(providerId)}/${fresh.body.id}`, { enabled: true });
    expect(enabled.body.reassigned_domains).toHaveLength(2);
    expect(enabled.body.usage_count).toBe(2);
    const removed = await t.call("DELETE", `${credentialsOf(providerId)}/${ids.Old}`);
    expect(removed.body).toEqual({ message: "Credential deleted successfully", id: ids.Old });
  });

  it("refuses to delete a credential in use and counts honestly", async () => {
    const { providerId, ids } = await providerWith(t, { Busy: "*.busy.example.com" });
    await certificateFor(t, providerId, ["one.busy.example.com"]);
    const refused = await t.call("DELETE", `${credentialsOf(providerId)}/${ids.Busy}`);
    expect(refused.status).toBe(409);
    // No proxy host uses the certificate yet: its renewals would still fail, so it counts.
    expect(refused.body).toMatchObject({
      error: "Cannot delete credential: 1 certificate is using this credential",
      message: "Cannot delete credential: 1 certificate is using this credential",
      affected_domains: ["one.busy.example.com"],
    });
  });

  it("a PATCH that changes nothing writes nothing", async () => {
    const { providerId, ids } = await providerWith(t, { Same: "*.same.example.com" });
    const before = await t.call("GET", `${credentialsOf(providerId)}/${ids.Same}`);
    const after = await t.call("PATCH", `${credentialsOf(providerId)}/${ids.Same}`, { zone_filter: "*.SAME.example.com" });
    expect(after.body.updated_at).toBe(before.body.updated_at);
  });
});

describe("providers", () => {
  it("lists the supported types with their fields", async () => {
    const answer = await t.call("GET", "/api/nginx/dns-providers/types");
    expect(answer.status).toBe(200);
    const cloudflare = answer.body.types.find((x: { type: string }) => x.type === "cloudflare");
    expect(cloudflare).toMatchObject({
      label: "Cloudflare",
      credential_sets: [["api_token"], ["api_key", "email"]],
      required_fields: ["api_token"],
    });
    expect(cloudflare.fields.map((f: { env_name: string }) => f.env_name)).toEqual(["CF_API_TOKEN", "CF_API_KEY", "CF_API_EMAIL"]);
    const powerdns = answer.body.types.find((x: { type: string }) => x.type === "powerdns");
    expect(powerdns.optional_fields).toEqual(["server_id"]);
    // The rule create and update apply to a literal address in api_url, stated where the fields are.
    expect(powerdns.fields.find((f: { name: string }) => f.name === "api_url").description).toContain("CHARON_OUTBOUND_ALLOW");
    expect(answer.body.types.map((x: { type: string }) => x.type)).toEqual(["cloudflare", "route53", "digitalocean", "powerdns"]);
  });

  it("is one collection under both paths; PUT and PATCH rename and rotate the primary credential", async () => {
    const created = await t.call("POST", "/api/nginx/dns-providers", {
      name: "AWS",
      acme_dns_provider: "route53",
      meta: { AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", AWS_REGION: "eu-west-1" },
    });
    expect(created.body.meta).toEqual({ AWS_ACCESS_KEY_ID: "set", AWS_SECRET_ACCESS_KEY: "set", AWS_REGION: "eu-west-1" });
    const id = created.body.id;
    expect((await t.call("GET", `/api/v1/dns-providers/${id}`)).body).toEqual(created.body);
    const renamed = await t.call("PUT", `/api/v1/dns-providers/${id}`, { name: "AWS main" });
    expect(renamed.body.name).toBe("AWS main");
    const rotated = await t.call("PATCH", `/api/nginx/dns-providers/${id}`, {
      meta: { access_key_id: "AKIAROTATED", secret_access_key: "rotated-secret-key" },
    });
    expect(rotated.body.meta).toEqual({ AWS_ACCESS_KEY_ID: "set", AWS_SECRET_ACCESS_KEY: "set" });
    const primary = (await t.services.credentials.get(id, created.body.primary_credential_id)).credential;
    expect(await t.secrets.get(primary.secretName)).toEqual({ access_key_id: "AKIAROTATED", secret_access_key: "rotated-secret-key" });
  });

  it("refuses to delete a provider certificates use, listing them; deletes it with its credentials and secrets otherwise", async () => {
    const { providerId, ids } = await providerWith(t, { Used: "*.used.example.com" });
    const certificateId = await certificateFor(t, providerId, ["www.used.example.com"]);
    const refused = await t.call("DELETE", `/api/v1/dns-providers/${providerId}`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      error: "Cannot delete DNS provider: 1 certificate is using this provider",
      certificate_ids: [certificateId],
      affected_domains: ["www.used.example.com"],
    });
    const secretsBefore = await storedSecretNames(t.secrets);
    const own = (await t.services.credentials.list(providerId, { limit: 100 })).credentials.map((c) => c.secretName);
    expect((await t.call("DELETE", `/api/nginx/certificates/${certificateId}`)).status).toBe(200);
    const deleted = await t.call("DELETE", `/api/nginx/dns-providers/${providerId}`);
    expect(deleted.body).toEqual({ message: "DNS provider deleted successfully", id: providerId });
    expect((await t.call("GET", `/api/v1/dns-providers/${providerId}`)).status).toBe(404);
    expect((await t.call("GET", `${credentialsOf(providerId)}/${ids.Used}`)).status).toBe(404);
    expect(await storedSecretNames(t.secrets)).toEqual(secretsBefore.filter((name) => !own.includes(name)));
  });
});

describe("statistics", () => {
  it("counts challenge outcomes atomically, with an audit entry each, and alerts under 90%", async () => {
    const { providerId, ids } = await providerWith(t, { Good: "*.good.example.com", Flaky: "*.flaky.example.com", Idle: "*.idle.example.com" });
    await certificateFor(t, providerId, ["a.good.example.com", "b.good.example.com"]);
    const provider = await t.services.dnsDirectory.resolveProvider({ id: providerId });
    const actor = { user: "renewal", ipAddress: null, via: "renewal" };
    let orders = 0;
    const record = (credentialId: number, name: string, succeeded: boolean, key = `order-${++orders}/credential/${credentialId}`) =>
      t.services.dnsDirectory.recordChallengeOutcome({
        key,
        provider,
        credential: { id: credentialId, name },
        certificateId: 1,
        domains: ["a.good.example.com"],
        action: succeeded ? "certificate_issued" : "certificate_failed",
        succeeded,
        error: succeeded ? undefined : "Cloudflare API returned 403: Invalid credentials",
        actor,
      });
    await Promise.all(Array.from({ length: 10 }, () => record(ids.Good!, "Good", true)));
    await Promise.all([...Array.from({ length: 8 }, () => record(ids.Flaky!, "Flaky", true)), record(ids.Flaky!, "Flaky", false), record(ids.Flaky!, "Flaky", false)]);

    // The same outcome again (a retried step, a duplicate delivery) counts and audits nothing.
    const replayed = `order-${orders}/credential/${ids.Flaky}`;
    await Promise.all([record(ids.Flaky!, "Flaky", false, replayed), record(ids.Flaky!, "Flaky", false, replayed)]);

    const good = (await t.call("GET", `${credentialsOf(providerId)}/${ids.Good}`)).body;
    expect(good).toMatchObject({ usage_count: 2, success_count: 10, failure_count: 0, success_rate: 100, last_failure_at: null });
    expect(good.last_used_at).toBe(good.last_success_at);
    const flaky = (await t.call("GET", `${credentialsOf(providerId)}/${ids.Flaky}`)).body;
    expect(flaky).toMatchObject({ success_count: 8, failure_count: 2, success_rate: 80 });

    const statistics = await t.call("GET", `/api/v1/dns-providers/${providerId}/statistics`);
    expect(statistics.body).toMatchObject({
      provider_id: providerId,
      total_credentials: 4,
      active_credentials: 2,
      // Idle and the disabled primary were never used, but are too new to count as unused.
      inactive_credentials: 0,
      alerts: [{ credential_id: ids.Flaky, name: "Flaky", success_rate: 80, message: expect.stringContaining("below 90%") }],
    });
    expect(statistics.body.top_credentials[0]).toEqual({ id: ids.Good, name: "Good", usage_count: 2, success_rate: 100 });

    const issued = await t.call("GET", `/api/v1/audit-logs?action=certificate_failed&provider_id=${providerId}`);
    expect(issued.body.audit_logs).toHaveLength(2);
    expect(issued.body.audit_logs[0]).toMatchObject({
      action: "certificate_failed",
      resource_type: "certificate",
      provider: "cloudflare",
      user: "renewal",
      details: { credential_id: ids.Flaky, credential_name: "Flaky", result: "failure", domain: "a.good.example.com" },
    });
  });
});
