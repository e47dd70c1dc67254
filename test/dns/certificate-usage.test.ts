import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { dnsTestApp, type DnsTestApp } from "../support/dns-app.js";
import { certificateFor, providerWith } from "./helpers.js";

/**
 * Certificates and the credentials their names use: a certificate's delete must give back
 * exactly what its names hold *now* (names move between credentials when filters change), and
 * `usage_count` must always equal the usage items a credential has, whatever fails midway.
 */
let t: DnsTestApp;
beforeAll(async () => {
  t = await dnsTestApp();
});

const credentialsOf = (providerId: number) => `/api/v1/dns-providers/${providerId}/credentials`;
const credential = async (providerId: number, id: number) => (await t.call("GET", `${credentialsOf(providerId)}/${id}`)).body;

/** Each credential's `usage_count` beside the number of usage items pointing at it. */
async function countsAndUsages(providerId: number) {
  const credentials = await t.table.queryAll({ partition: `PROVIDER#${providerId}`, prefix: "CREDENTIAL#", consistent: true });
  const usages = await t.table.queryAll({ partition: `PROVIDER#${providerId}`, prefix: "USAGE#", consistent: true });
  return credentials.map((c) => ({
    id: c["id"],
    usage_count: c["usage_count"] ?? 0,
    usage_items: usages.filter((u) => u["credential_id"] === c["id"]).length,
  }));
}

/** Deletes every credential and then the provider: what an operator does when leaving a provider. */
async function removeProvider(providerId: number) {
  const list = await t.call("GET", `${credentialsOf(providerId)}?limit=100`);
  for (const c of list.body.credentials as Array<{ id: number }>) {
    const deleted = await t.call("DELETE", `${credentialsOf(providerId)}/${c.id}`);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
  }
  const provider = await t.call("DELETE", `/api/v1/dns-providers/${providerId}`);
  expect(provider.status, JSON.stringify(provider.body)).toBe(200);
}

/**
 * Intercepts the table's TransactWriteItems calls: `fail(n)` sees the n-th call from arming
 * (1-based) before it is sent, and returns the error to throw instead, or undefined to let it
 * through. It may first make another request, which then happens exactly between two steps.
 * Stands in for a crash, an outage, DynamoDB's own contention or a concurrent request.
 */
function faultyTransactions(fail: (n: number) => Error | undefined | Promise<Error | undefined>) {
  const name = `fault-${randomBytes(4).toString("hex")}`;
  let calls = 0;
  t.table.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "TransactWriteItemsCommand") {
        const error = await fail(++calls);
        if (error) throw error;
      }
      return next(args);
    },
    { step: "initialize", name },
  );
  return { calls: () => calls, heal: () => t.table.client.middlewareStack.remove(name) };
}

const outage = () => new Error("simulated outage: the Lambda died here");
const contention = () =>
  new TransactionCanceledException({
    message: "Transaction cancelled",
    $metadata: {},
    CancellationReasons: [{ Code: "TransactionConflict" }],
  });

describe("deleting a certificate after its names moved to another credential", () => {
  it("after the documented rotation (old credential deleted), the certificate deletes and the new credential is free again", async () => {
    const { providerId, ids } = await providerWith(t, { Old: "*.rot1.example.com" });
    const certificateId = await certificateFor(t, providerId, ["a.rot1.example.com", "b.rot1.example.com"]);
    const fresh = await t.call("POST", credentialsOf(providerId), {
      name: "New",
      zone_filter: "*.rot1.example.com",
      enabled: false,
      credentials: { api_token: "new-rotation-token" },
    });
    await t.call("PATCH", `${credentialsOf(providerId)}/${ids.Old}`, { zone_filter: "__deprecated__" });
    expect((await t.call("PATCH", `${credentialsOf(providerId)}/${fresh.body.id}`, { enabled: true })).body.usage_count).toBe(2);
    expect((await t.call("DELETE", `${credentialsOf(providerId)}/${ids.Old}`)).status).toBe(200);

    const deleted = await t.call("DELETE", `/api/nginx/certificates/${certificateId}`);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(await credential(providerId, fresh.body.id)).toMatchObject({ usage_count: 0, domains: [] });
    expect((await t.call("DELETE", `${credentialsOf(providerId)}/${fresh.body.id}`)).status).toBe(200);
  });

  it("after a more specific credential took one name, each credential gives back only what it holds", async () => {
    const { providerId, ids } = await providerWith(t, { Wide: "*.rot2.example.com" });
    const certificateId = await certificateFor(t, providerId, ["a.rot2.example.com", "b.rot2.example.com"]);
    const narrow = await t.call("POST", credentialsOf(providerId), {
      name: "Narrow",
      zone_filter: "a.rot2.example.com",
      credentials: { api_token: "narrow-token" },
    });
    expect(narrow.body.reassigned_domains).toHaveLength(1);

    expect((await t.call("DELETE", `/api/nginx/certificates/${certificateId}`)).status).toBe(200);
    expect(await credential(providerId, ids.Wide!)).toMatchObject({ usage_count: 0, domains: [] });
    expect(await credential(providerId, narrow.body.id)).toMatchObject({ usage_count: 0, domains: [] });
    await removeProvider(providerId);
  });

  it("a name moved while the delete is under way: the delete reads again and gives back what each credential holds", async () => {
    const { providerId, ids } = await providerWith(t, { Wide: "*.rot3.example.com" });
    const certificateId = await certificateFor(t, providerId, ["a.rot3.example.com", "b.rot3.example.com"]);
    let narrowId = 0;
    const race = faultyTransactions(async (n) => {
      if (n === 1) {
        const narrow = await t.call("POST", credentialsOf(providerId), {
          name: "Narrow",
          zone_filter: "a.rot3.example.com",
          credentials: { api_token: "narrow-race-token" },
        });
        expect(narrow.body.reassigned_domains).toHaveLength(1);
        narrowId = narrow.body.id;
      }
      return undefined;
    });
    const deleted = await t.call("DELETE", `/api/nginx/certificates/${certificateId}`);
    race.heal();
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(await credential(providerId, ids.Wide!)).toMatchObject({ usage_count: 0, domains: [] });
    expect(await credential(providerId, narrowId)).toMatchObject({ usage_count: 0, domains: [] });
    await removeProvider(providerId);
  });
});

describe("many certificates at once", () => {
  it("a create that meets DynamoDB's transaction contention is retried, not answered 409", async () => {
    const { providerId, ids } = await providerWith(t, { Shared: "" });
    const fault = faultyTransactions((n) => (n === 1 ? contention() : undefined));
    const created = await t.call("POST", "/api/nginx/certificates", {
      provider: "letsencrypt",
      domain_names: ["contended.example.com"],
      meta: { dns_challenge: true, dns_provider_id: providerId },
    });
    fault.heal();
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await credential(providerId, ids.Shared!)).usage_count).toBe(1);
  });

  it("20 parallel creates on one credential all succeed and count 20", async () => {
    const { providerId, ids } = await providerWith(t, { Everything: "" });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.call("POST", "/api/nginx/certificates", {
          provider: "letsencrypt",
          domain_names: [`preview-${i}.ci.example.com`],
          meta: { dns_challenge: true, dns_provider_id: providerId },
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
    expect((await credential(providerId, ids.Everything!)).usage_count).toBe(20);
  });

  it("two DELETEs of one certificate at once: one 200, one 404", async () => {
    const { providerId } = await providerWith(t, { Any: "" });
    const certificateId = await certificateFor(t, providerId, ["twice.example.com"]);
    const answers = await Promise.all([1, 2].map(() => t.call("DELETE", `/api/nginx/certificates/${certificateId}`)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 404]);
    expect(answers.find((a) => a.status === 404)!.body.message).toBe(`Certificate with ID ${certificateId} not found`);
  });
});

describe("certificates with more names than one transaction holds", () => {
  const hundredNames = (tag: string) =>
    Array.from({ length: 100 }, (_, i) => (i % 2 ? `n${i}.${tag}-a.example.com` : `n${i}.${tag}-b.example.com`));

  it("a create interrupted after its first step leaves counts equal to usage items, and everything stays deletable", async () => {
    const { providerId } = await providerWith(t, { A: "*.crash1-a.example.com", B: "*.crash1-b.example.com" });
    const fault = faultyTransactions((n) => (n >= 2 ? outage() : undefined));
    const created = await t.call("POST", "/api/nginx/certificates", {
      provider: "letsencrypt",
      domain_names: hundredNames("crash1"),
      meta: { dns_challenge: true, dns_provider_id: providerId },
    });
    fault.heal();
    expect(created.status).toBe(500);
    for (const c of await countsAndUsages(providerId)) expect(c.usage_count).toBe(c.usage_items);
    const listed = (await t.call("GET", "/api/nginx/certificates?limit=500")).body as Array<{ id: number; domain_names: string[] }>;
    for (const c of listed.filter((c) => c.domain_names.includes("n0.crash1-b.example.com"))) {
      expect((await t.call("DELETE", `/api/nginx/certificates/${c.id}`)).status).toBe(200);
    }
    await removeProvider(providerId);
  });

  it("a delete interrupted after its first step can be repeated, and leaves nothing that blocks the provider", async () => {
    const { providerId } = await providerWith(t, { A: "*.crash2-a.example.com", B: "*.crash2-b.example.com" });
    const certificateId = await certificateFor(t, providerId, hundredNames("crash2"));
    const fault = faultyTransactions((n) => (n >= 2 ? outage() : undefined));
    const interrupted = await t.call("DELETE", `/api/nginx/certificates/${certificateId}`);
    fault.heal();
    expect(interrupted.status).toBe(500);
    for (const c of await countsAndUsages(providerId)) expect(c.usage_count).toBe(c.usage_items);
    const again = await t.call("DELETE", `/api/nginx/certificates/${certificateId}`);
    expect([200, 404]).toContain(again.status);
    expect((await t.call("GET", `/api/nginx/certificates/${certificateId}`)).status).toBe(404);
    await removeProvider(providerId);
  });

  it("a credential removed between two steps of a create: 409 as for a small certificate, and nothing is left", async () => {
    const { providerId, ids } = await providerWith(t, { A: "*.gone-a.example.com", B: "*.gone-b.example.com" });
    // The certificate, its audit entry, 97 usage items of A and A's count fill the first
    // transaction; the 3 names of B follow it.
    const names = [
      ...Array.from({ length: 97 }, (_, i) => `n${i}.gone-a.example.com`),
      ...Array.from({ length: 3 }, (_, i) => `m${i}.gone-b.example.com`),
    ];
    const race = faultyTransactions(async (n) => {
      if (n === 2) expect((await t.call("DELETE", `${credentialsOf(providerId)}/${ids.B}`)).status).toBe(200);
      return undefined;
    });
    const created = await t.call("POST", "/api/nginx/certificates", {
      provider: "letsencrypt",
      domain_names: names,
      meta: { dns_challenge: true, dns_provider_id: providerId },
    });
    race.heal();
    expect(created.status).toBe(409);
    expect(created.body.message).toBe("A DNS credential chosen for this certificate was removed meanwhile; retry");
    const listed = (await t.call("GET", "/api/nginx/certificates?limit=500")).body as Array<{ domain_names: string[] }>;
    expect(listed.filter((c) => c.domain_names.includes("n0.gone-a.example.com"))).toEqual([]);
    expect(await credential(providerId, ids.A!)).toMatchObject({ usage_count: 0, domains: [] });
    await removeProvider(providerId);
  });

  it("a later step that meets contention is retried, so the certificate is stored whole", async () => {
    const { providerId, ids } = await providerWith(t, { A: "*.busy-a.example.com", B: "*.busy-b.example.com" });
    const fault = faultyTransactions((n) => (n === 2 ? contention() : undefined));
    const created = await t.call("POST", "/api/nginx/certificates", {
      provider: "letsencrypt",
      domain_names: hundredNames("busy"),
      meta: { dns_challenge: true, dns_provider_id: providerId },
    });
    fault.heal();
    expect(fault.calls()).toBeGreaterThan(2);
    expect(created.status).toBe(201);
    expect(await countsAndUsages(providerId)).toEqual(
      expect.arrayContaining([
        { id: ids.A, usage_count: 50, usage_items: 50 },
        { id: ids.B, usage_count: 50, usage_items: 50 },
      ]),
    );
  });
});
