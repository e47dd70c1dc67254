import { randomBytes } from "node:crypto";
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { DynamoTable } from "@charon/aws";
import type { SecretStore, SecretValue } from "@charon/core";
import { startFakeCloudflare } from "../fakes/cloudflare/index.js";
import { dnsTestApp, manualClock, storedSecretNames, temporarySecretStore, type DnsTestApp } from "../support/dns-app.js";
import { certificateFor, providerWith } from "./helpers.js";

/**
 * What stays consistent between DynamoDB, the secret store and the provider's mode when writes
 * fail without a clear answer, fail part-way, race each other, or meet data written under older
 * rules. Everything runs against DynamoDB Local and the local secret store; failures are injected
 * at the SDK (an answer lost after DynamoDB applied a transaction, a request that never left,
 * contention that outlasts the retries) because those servers cannot be told to produce them.
 */

type Fault = "answer-lost" | "never-sent" | "contention" | (() => Promise<void>);

/**
 * Faults for the table's TransactWriteItems requests: each planned fault applies to the next
 * transaction whose request text contains `match`.
 */
function transactionFaults(table: DynamoTable) {
  const plans: Array<{ fault: Fault; match: string; times: number; skip: number }> = [];
  table.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== "TransactWriteItemsCommand") return next(args);
      const text = JSON.stringify(args.input);
      const index = plans.findIndex((p) => text.includes(p.match));
      const plan = plans[index];
      if (!plan) return next(args);
      if (plan.skip > 0) {
        plan.skip--;
        return next(args);
      }
      if (--plan.times === 0) plans.splice(index, 1);
      if (typeof plan.fault === "function") {
        // Another request, run to its end just before this transaction is sent.
        await plan.fault();
        return next(args);
      }
      if (plan.fault === "never-sent") throw timeout();
      if (plan.fault === "contention") {
        const count = (args.input as { TransactItems: unknown[] }).TransactItems.length;
        throw new TransactionCanceledException({
          message: "Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]",
          $metadata: {},
          CancellationReasons: Array.from({ length: count }, (_, i) => ({ Code: i === 0 ? "TransactionConflict" : "None" })),
        });
      }
      await next(args);
      throw timeout();
    },
    { step: "initialize", name: `transactionFaults-${randomBytes(4).toString("hex")}` },
  );
  return {
    /**
     * The next `times` matching transactions fail, after `skip` more that go through; a function
     * is run before the matching transaction instead, which then goes through.
     */
    next(fault: Fault, match = "", times = 1, skip = 0) {
      plans.push({ fault, match, times, skip });
    },
    clear() {
      plans.length = 0;
    },
  };
}

/** What the SDK throws when a socket times out after its own retries. */
function timeout(): Error {
  return Object.assign(new Error("Connection timed out after 5000 ms"), { name: "TimeoutError" });
}

/** A real store with hooks around reads. */
class HookedSecretStore implements SecretStore {
  beforeGet: (() => Promise<void>) | undefined;
  afterGet: (() => Promise<void>) | undefined;

  constructor(private readonly inner: SecretStore) {}

  create(name: string, value: SecretValue) {
    return this.inner.create(name, value);
  }
  async get(name: string) {
    const before = this.beforeGet;
    this.beforeGet = undefined;
    await before?.();
    const value = await this.inner.get(name);
    const after = this.afterGet;
    this.afterGet = undefined;
    await after?.();
    return value;
  }
  delete(name: string) {
    return this.inner.delete(name);
  }
  list(prefix: string) {
    return this.inner.list(prefix);
  }
}

let t: DnsTestApp;
let faults: ReturnType<typeof transactionFaults>;
let secrets: HookedSecretStore;
let cloudflare: Awaited<ReturnType<typeof startFakeCloudflare>>;
const clock = manualClock(new Date());

beforeAll(async () => {
  cloudflare = await startFakeCloudflare();
  cloudflare.state.addZone("customer-a.com");
  secrets = new HookedSecretStore(await temporarySecretStore());
  t = await dnsTestApp({ secrets, clock, dnsClientOptions: { endpoints: { cloudflare: cloudflare.url } } });
  faults = transactionFaults(t.table);
});
afterAll(() => cloudflare?.stop());
beforeEach(() => {
  faults.clear();
  secrets.beforeGet = undefined;
  secrets.afterGet = undefined;
});

const base = (providerId: number) => `/api/v1/dns-providers/${providerId}`;
const token = (label: string) => {
  // 40 characters: the form of a Cloudflare API token.
  const value = `${label}-${randomBytes(20).toString("hex")}`.slice(0, 40);
  cloudflare.state.addToken(value);
  return value;
};

async function referencedSecrets(providerId: number): Promise<string[]> {
  const { credentials } = await t.services.credentials.list(providerId, { limit: 500 });
  return credentials.map((c) => c.secretName).sort();
}

async function providerSecrets(providerId: number): Promise<string[]> {
  return (await storedSecretNames(secrets)).filter((name) => name.startsWith(`dns-credentials/${providerId}/`));
}

describe("a metadata commit whose answer is lost", () => {
  it("that DynamoDB applied keeps the new secret: the create succeeds and the credential tests fine", async () => {
    const { providerId } = await providerWith(t, {});
    faults.next("answer-lost", "credential_created");
    const created = await t.call("POST", `${base(providerId)}/credentials`, {
      name: "Landed",
      zone_filter: "*.customer-a.com",
      credentials: { api_token: token("landed") },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const tested = await t.call("POST", `${base(providerId)}/credentials/${created.body.id}/test`);
    expect(tested.status, JSON.stringify(tested.body)).toBe(200);
    expect(tested.body.status).toBe("success");
    expect(await providerSecrets(providerId)).toEqual(await referencedSecrets(providerId));
  });

  it("that DynamoDB applied to a rotation: the new secret serves, the old one is gone", async () => {
    const { providerId, ids } = await providerWith(t, { Rotated: "*.customer-a.com" }, { credentials: { api_token: token("before") } });
    const path = `${base(providerId)}/credentials/${ids.Rotated}`;
    faults.next("answer-lost", "credential_updated");
    const rotated = await t.call("PATCH", path, { credentials: { api_token: token("after") } });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect((await t.call("POST", `${path}/test`)).body.status).toBe("success");
    expect(await providerSecrets(providerId)).toEqual(await referencedSecrets(providerId));
  });

  it("that never reached DynamoDB changes nothing; its secret is left for the sweeper, which removes it", async () => {
    const { providerId } = await providerWith(t, {});
    faults.next("never-sent", "credential_created");
    const failed = await t.call("POST", `${base(providerId)}/credentials`, {
      name: "Lost",
      zone_filter: "*.lost.example.com",
      credentials: { api_token: token("lost") },
    });
    // The store did not answer: the client is told to try again, not that the API is broken.
    expect(failed.status).toBe(503);
    expect(failed.headers.get("retry-after")).toBe("2");
    expect(failed.body).toMatchObject({ error: "Service unavailable", message: "The data store did not answer in time; retry in a few seconds" });
    const list = await t.call("GET", `${base(providerId)}/credentials`);
    expect(list.body.credentials.map((c: { name: string }) => c.name)).not.toContain("Lost");
    const referenced = await referencedSecrets(providerId);
    expect(await providerSecrets(providerId)).toHaveLength(referenced.length + 1);
    clock.advance(61 * 60 * 1000);
    await t.services.credentials.sweepOrphanSecrets();
    expect(await providerSecrets(providerId)).toEqual(referenced);
  });
});

/** Rewrites a stored credential's filter and pattern claims as an older release would have stored them. */
async function storeFilterDirectly(providerId: number, credentialId: number, from: string, to: string) {
  const items = await t.table.queryAll<Record<string, unknown>>({ partition: `PROVIDER#${providerId}`, consistent: true });
  const credential = items.find((i) => String(i["sk"]).startsWith("CREDENTIAL#") && i["id"] === credentialId)!;
  const claim = items.find((i) => i["sk"] === `CLAIM#PATTERN#${from}`)!;
  await t.table.transact([
    { Put: { TableName: t.table.name, Item: { ...credential, zone_filter: credential["zone_filter"] === from ? to : String(credential["zone_filter"]).replace(from, to) } } },
    { Delete: { TableName: t.table.name, Key: { pk: claim["pk"], sk: claim["sk"] } } },
    { Put: { TableName: t.table.name, Item: { ...claim, sk: `CLAIM#PATTERN#${to}`, zone_filter: String(claim["zone_filter"]).replace(from, to) } } },
  ]);
}

describe("zone filters stored under older rules", () => {
  it("a filter the input rules now reject (a public suffix) still lists, matches, updates and deletes", async () => {
    const { providerId, ids } = await providerWith(t, { Legacy: "example.org,legacy.example.net" });
    // As if the customer's zone had since been added to the public-suffix list.
    await storeFilterDirectly(providerId, ids.Legacy!, "legacy.example.net", "co.uk");
    const path = `${base(providerId)}/credentials/${ids.Legacy}`;

    const list = await t.call("GET", `${base(providerId)}/credentials`);
    expect(list.status).toBe(200);
    expect(list.body.credentials.find((c: { id: number }) => c.id === ids.Legacy).zone_filter).toBe("example.org,co.uk");
    expect((await t.call("GET", path)).status).toBe(200);
    const match = await t.call("GET", `${base(providerId)}/match?domain=shop.example.co.uk`);
    expect(match.status, JSON.stringify(match.body)).toBe(200);
    expect(match.body).toMatchObject({ credential: { id: ids.Legacy }, matched_pattern: "co.uk" });

    // Other credentials of the provider can still be created next to it.
    const other = await t.call("POST", `${base(providerId)}/credentials`, {
      name: "Other",
      zone_filter: "*.other.example.com",
      credentials: { api_token: "other-token-value" },
    });
    expect(other.status, JSON.stringify(other.body)).toBe(201);

    const renamed = await t.call("PATCH", path, { description: "still here", zone_filter: "example.org,co.uk" });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(renamed.body.zone_filter).toBe("example.org,co.uk");
    // As input the rules still apply: the suffix cannot be added to another credential.
    const added = await t.call("PATCH", `${base(providerId)}/credentials/${other.body.id}`, { zone_filter: "*.other.example.com,co.uk" });
    expect(added.status).toBe(400);
    expect(added.body.details).toBe("Zone filter pattern 'co.uk' is a public suffix and would match every customer's domains");

    const narrowed = await t.call("PATCH", path, { zone_filter: "example.org" });
    expect(narrowed.status, JSON.stringify(narrowed.body)).toBe(200);
    expect((await t.call("GET", `${base(providerId)}/match?domain=shop.example.co.uk`)).body.credential).toBeNull();

    await storeFilterDirectly(providerId, ids.Legacy!, "example.org", "com");
    expect((await t.call("GET", `${base(providerId)}/match?domain=www.example.com`)).body.credential).toMatchObject({ id: ids.Legacy });
    expect((await t.call("DELETE", path)).status).toBe(200);
    expect((await t.call("GET", path)).status).toBe(404);
    // Its claims went with it: the pattern is free again for input that may hold it.
    expect((await t.call("GET", `${base(providerId)}/match?domain=www.example.com`)).body.credential).toBeNull();
  });
});

describe("mode changes racing credential writes", () => {
  it("disabling multi-credential mode while its chosen primary is deleted never leaves single mode without a primary", async () => {
    const { providerId, ids } = await providerWith(t, { First: "*.first.example.com", Second: "*.second.example.com" });
    // Between the disable's reads (which choose First as the primary) and its commit, First is deleted.
    let deleted: Awaited<ReturnType<typeof t.call>> | undefined;
    faults.next(async () => {
      deleted = await t.call("DELETE", `${base(providerId)}/credentials/${ids.First}`);
    }, "multi_credential = :multi");
    const disabled = await t.call("POST", `${base(providerId)}/disable-multi-credential`);
    expect(deleted?.status, JSON.stringify(deleted?.body)).toBe(200);
    expect(disabled.status, JSON.stringify(disabled.body)).toBe(409);
    expect(disabled.body.message).toBe(`Credential with ID ${ids.First} was changed by another request; retry`);
    // The retry chooses from what is there now.
    expect((await t.call("POST", `${base(providerId)}/disable-multi-credential`)).status).toBe(200);
    const provider = (await t.call("GET", base(providerId))).body;
    expect(provider.multi_credential_enabled).toBe(false);
    expect(provider.primary_credential_id).not.toBe(ids.First);
    expect((await t.call("GET", `${base(providerId)}/credentials/${provider.primary_credential_id}`)).status).toBe(200);
    const match = await t.call("GET", `${base(providerId)}/match?domain=www.anything.example`);
    expect(match.body.credential.id).toBe(provider.primary_credential_id);
  });

  it("a credential create that commits after the provider switched to single mode is a 409", async () => {
    const { providerId } = await providerWith(t, { First: "*.first.example.com" });
    // Between the create's reads (multi mode) and its commit, the provider switches mode.
    const inner = secrets.create.bind(secrets);
    secrets.create = async (name, value) => {
      await inner(name, value);
      secrets.create = inner;
      expect((await t.call("POST", `${base(providerId)}/disable-multi-credential`)).status).toBe(200);
    };
    const created = await t.call("POST", `${base(providerId)}/credentials`, {
      name: "Late",
      zone_filter: "*.late.example.com",
      credentials: { api_token: "late-token-value" },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(409);
    expect(created.body.message).toBe(`DNS provider with ID ${providerId} was changed by another request; retry`);
    const retried = await t.call("POST", `${base(providerId)}/credentials`, {
      name: "Late",
      zone_filter: "*.late.example.com",
      credentials: { api_token: "late-token-value" },
    });
    expect(retried.status).toBe(409);
    expect(retried.body.message).toMatch(/^Multi-credential mode is not enabled/);
    expect(await providerSecrets(providerId)).toEqual(await referencedSecrets(providerId));
  });
});

describe("moves planned before a mode change", () => {
  it("do not land after it: in single mode every name stays on the primary", async () => {
    const { providerId, ids } = await providerWith(t, { Wide: "*.customer-a.com", Narrow: "narrow.example.com" });
    await certificateFor(t, providerId, ["shop.customer-a.com"]);
    // The filter change is planned in multi mode (shop moves to Narrow); before it commits and
    // moves the name, the provider switches to single mode, which re-evaluates every name.
    const inner = secrets.create.bind(secrets);
    secrets.create = async (name, value) => {
      await inner(name, value);
      secrets.create = inner;
      expect((await t.call("POST", `${base(providerId)}/disable-multi-credential`)).status).toBe(200);
    };
    const updated = await t.call("PATCH", `${base(providerId)}/credentials/${ids.Narrow}`, {
      zone_filter: "shop.customer-a.com",
      credentials: { api_token: token("narrow") },
    });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    const provider = (await t.call("GET", base(providerId))).body;
    expect(provider.multi_credential_enabled).toBe(false);
    expect((await t.call("GET", `${base(providerId)}/credentials/${provider.primary_credential_id}`)).body.domains).toEqual(["shop.customer-a.com"]);
    const narrow = (await t.call("GET", `${base(providerId)}/credentials/${ids.Narrow}`)).body;
    expect(narrow).toMatchObject({ usage_count: 0, domains: [] });
  });
});

describe("deleting a provider part-way", () => {
  it("leaves the provider in place when a step fails, and the retry deletes everything", async () => {
    // Three credentials of 40 patterns each do not fit in one transaction with the provider.
    const filter = (n: number) => Array.from({ length: 40 }, (_, i) => `p${i}.c${n}.example.com`).join(",");
    const { providerId } = await providerWith(t, { One: filter(1), Two: filter(2), Three: filter(3) });
    // The second transaction of the delete never reaches DynamoDB.
    faults.next("never-sent", "", 1, 1);
    const failed = await t.call("DELETE", base(providerId));
    expect(failed.status).toBe(503);

    const provider = await t.call("GET", base(providerId));
    expect(provider.status).toBe(200);
    const left = await t.call("GET", `${base(providerId)}/credentials`);
    expect(left.body.total).toBe(left.body.credentials.length);
    // Whatever was deleted took its secret along; what is left still has its own.
    expect(await providerSecrets(providerId)).toEqual(await referencedSecrets(providerId));
    // …and is on record, although the provider's own deletion never committed.
    const audit = async (action: string) =>
      (await t.call("GET", `/api/v1/audit-logs?resource_type=dns_provider&resource_id=${providerId}&action=${action}`)).body.audit_logs;
    const steps = await audit("dns_provider_credentials_deleted");
    expect(steps).toHaveLength(1);
    expect(steps[0].details.deleted_credential_ids).toHaveLength(4 - left.body.total);
    expect(await audit("dns_provider_deleted")).toEqual([]);

    expect((await t.call("DELETE", base(providerId))).status).toBe(200);
    expect((await t.call("GET", base(providerId))).status).toBe(404);
    expect(await t.table.queryAll({ partition: `PROVIDER#${providerId}`, consistent: true })).toEqual([]);
    expect(await providerSecrets(providerId)).toEqual([]);
  });
});

describe("a credential test racing a rotation", () => {
  it("whose secret was rotated away before it was read tests the new secret", async () => {
    const old = token("old");
    const { providerId, ids } = await providerWith(t, { Rotating: "*.customer-a.com" }, { credentials: { api_token: old } });
    const path = `${base(providerId)}/credentials/${ids.Rotating}`;
    let rotated = false;
    secrets.beforeGet = async () => {
      expect((await t.call("PATCH", path, { credentials: { api_token: token("new") } })).status).toBe(200);
      // Cloudflare now refuses the old token: a test of it would fail.
      cloudflare.state.addToken(old, { status: "disabled" });
      rotated = true;
    };
    const tested = await t.call("POST", `${path}/test`);
    expect(rotated).toBe(true);
    expect(tested.status, JSON.stringify(tested.body)).toBe(200);
    expect(tested.body.status).toBe("success");
    expect((await t.call("GET", path)).body.last_test_status).toBe("success");
  });

  it("that keeps losing to rotations answers 409", async () => {
    const { providerId, ids } = await providerWith(t, { Rotating: "*.customer-a.com" }, { credentials: { api_token: token("old") } });
    const path = `${base(providerId)}/credentials/${ids.Rotating}`;
    const rotate = async () => {
      expect((await t.call("PATCH", path, { credentials: { api_token: token("next") } })).status).toBe(200);
    };
    secrets.beforeGet = async () => {
      await rotate();
      secrets.beforeGet = rotate;
    };
    const tested = await t.call("POST", `${path}/test`);
    expect(tested.status, JSON.stringify(tested.body)).toBe(409);
    expect(tested.body.message).toBe(`Credential with ID ${ids.Rotating} was changed by another request; retry`);
  });

  it("whose secret is gone with no rotation to explain it answers 409 saying how to repair it", async () => {
    const { providerId, ids } = await providerWith(t, { Broken: "*.customer-a.com" });
    const path = `${base(providerId)}/credentials/${ids.Broken}`;
    await secrets.delete((await t.services.credentials.get(providerId, ids.Broken!)).credential.secretName);
    const tested = await t.call("POST", `${path}/test`);
    expect(tested.status).toBe(409);
    expect(tested.body.message).toBe(`The secret of credential ${ids.Broken} is missing; set its credentials again with PATCH ${path}`);
    expect((await t.call("PATCH", path, { credentials: { api_token: token("repaired") } })).status).toBe(200);
    expect((await t.call("POST", `${path}/test`)).body.status).toBe("success");
  });

  it("of a secret rotated away during the test does not record its result on the new secret", async () => {
    const { providerId, ids } = await providerWith(t, { Rotating: "*.customer-a.com" }, { credentials: { api_token: token("old") } });
    const path = `${base(providerId)}/credentials/${ids.Rotating}`;
    secrets.afterGet = async () => {
      expect((await t.call("PATCH", path, { credentials: { api_token: "rotated-unknown-token" } })).status).toBe(200);
    };
    const tested = await t.call("POST", `${path}/test`);
    expect(tested.status).toBe(200);
    expect(tested.body.status).toBe("success");
    const stored = (await t.call("GET", path)).body;
    expect(stored.last_tested_at).toBeNull();
    expect(stored.last_test_status).toBeNull();
  });

  it("whose outcome is crowded out of the credential by contention still answers with the result", async () => {
    const { providerId, ids } = await providerWith(t, { Busy: "*.customer-a.com" }, { credentials: { api_token: token("busy") } });
    const path = `${base(providerId)}/credentials/${ids.Busy}`;
    // Every attempt of the transaction that records the outcome meets contention.
    faults.next("contention", "last_test_status", 6);
    const tested = await t.call("POST", `${path}/test`);
    expect(tested.status, JSON.stringify(tested.body)).toBe(200);
    expect(tested.body.status).toBe("success");
    expect((await t.call("GET", path)).body.last_test_status).toBeNull();
    const audit = await t.call("GET", `/api/v1/audit-logs?resource_type=dns_credential&resource_id=${ids.Busy}&action=credential_tested`);
    expect(audit.body.audit_logs).toHaveLength(1);
  });
});

describe("provider messages echoing a secret", () => {
  it("in URL-encoded or base64 form never reach the test result", async () => {
    const { providerId } = await providerWith(t, {});
    const secret = `tok+en/with=chars~${randomBytes(9).toString("hex")}`;
    const basic = Buffer.from(`Bearer ${secret}`).toString("base64");
    const echoed = [encodeURIComponent(secret), Buffer.from(secret).toString("base64"), Buffer.from(secret).toString("base64url"), basic];
    cloudflare.state.failNext(400, 1, {
      body: JSON.stringify({
        success: false,
        errors: [{ code: 6111, message: `Invalid token ${echoed[0]}; got ${echoed[1]} / ${echoed[2]}; header ${echoed[3]}` }],
        messages: [],
        result: null,
      }),
    });
    const tested = await t.call("POST", `${base(providerId)}/credentials/test`, { credentials: { api_token: secret } });
    expect(tested.status).toBe(200);
    expect(tested.body.status).toBe("failed");
    expect(tested.body.details.error_message).toContain("Invalid token [redacted]");
    for (const form of [secret, ...echoed, basic.slice(12, -4)]) expect(tested.text).not.toContain(form);
  });
});

describe("re-evaluation crowded out by contention", () => {
  it("saves the change and says, as a warning, how to finish moving the names", async () => {
    const { providerId, ids } = await providerWith(t, { Wide: "*.customer-a.com" });
    // Two names, so their moves share a transaction before being retried one by one.
    await certificateFor(t, providerId, ["shop.customer-a.com", "www.shop.customer-a.com"]);
    faults.next("contention", "USAGE#", 1000);
    const created = await t.call("POST", `${base(providerId)}/credentials`, {
      name: "Narrow",
      zone_filter: "shop.customer-a.com",
      credentials: { api_token: "narrow-token-value" },
    });
    faults.clear();
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.warnings).toContainEqual({
      code: "reassignment_incomplete",
      message:
        "Saved, but other requests on this provider kept some names from moving to the credential they now resolve to; " +
        `POST /api/v1/dns-providers/${providerId}/enable-multi-credential re-evaluates them`,
    });
    // Re-evaluating the provider (its mode endpoint is idempotent) moves the name as it should.
    expect((await t.call("POST", `${base(providerId)}/enable-multi-credential`)).status).toBe(200);
    const narrow = (await t.call("GET", `${base(providerId)}/credentials`)).body.credentials.find((c: { name: string }) => c.name === "Narrow");
    expect((await t.call("GET", `${base(providerId)}/credentials/${narrow.id}`)).body.domains).toEqual(["shop.customer-a.com", "www.shop.customer-a.com"]);
    expect((await t.call("GET", `${base(providerId)}/credentials/${ids.Wide}`)).body.domains).toEqual([]);
  });
});
