import { beforeEach, describe, expect, it } from "vitest";
import { SecretStoreError, type SecretStore, type SecretValue } from "@charon/core";
import { dnsTestApp, manualClock, storedSecretNames, temporarySecretStore, type DnsTestApp } from "../support/dns-app.js";
import { providerWith } from "./helpers.js";

/**
 * docs/decisions/0007-secret-write-order.md: the secret is written under a fresh name first, the
 * metadata pointing at it second; a failed metadata write deletes the new secret, a rotation
 * deletes the old secret only after the commit, and the sweeper removes what a crash leaves.
 */

/** A real store with hooks: fail a create, or run something just after a create landed. */
class HookedSecretStore implements SecretStore {
  failCreates = false;
  failDeletes = false;
  afterCreate: (() => Promise<void>) | undefined;

  constructor(private readonly inner: SecretStore) {}

  async create(name: string, value: SecretValue): Promise<void> {
    if (this.failCreates) throw new SecretStoreError(name, `secret '${name}' could not be written (injected)`);
    await this.inner.create(name, value);
    const hook = this.afterCreate;
    this.afterCreate = undefined;
    await hook?.();
  }
  get(name: string) {
    return this.inner.get(name);
  }
  async delete(name: string): Promise<void> {
    if (this.failDeletes) throw new SecretStoreError(name, `secret '${name}' could not be deleted (injected)`);
    await this.inner.delete(name);
  }
  list(prefix: string) {
    return this.inner.list(prefix);
  }
}

let t: DnsTestApp;
let secrets: HookedSecretStore;
const clock = manualClock(new Date());

beforeEach(async () => {
  secrets = new HookedSecretStore(await temporarySecretStore());
  t = await dnsTestApp({ secrets, clock });
});

/** The secret names the stored credentials point at. */
async function referencedSecrets(providerId: number): Promise<string[]> {
  const credentials = await t.services.credentials.list(providerId, { limit: 500 });
  return credentials.credentials.map((c) => c.secretName).sort();
}

async function auditActions(): Promise<string[]> {
  return (await t.call("GET", "/api/v1/audit-logs?limit=1000")).body.audit_logs.map((e: { action: string }) => e.action);
}

describe("secret write order", () => {
  it("a failed secret write stores nothing: no credential, no audit entry, no secret", async () => {
    const { providerId } = await providerWith(t, {});
    const before = await auditActions();
    secrets.failCreates = true;
    const answer = await t.call("POST", `/api/v1/dns-providers/${providerId}/credentials`, {
      name: "Doomed",
      zone_filter: "*.doomed.example.com",
      credentials: { api_token: "doomed-token-value" },
    });
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({
      error: "Internal server error",
      message: "An unexpected error occurred. Please contact support.",
      request_id: expect.stringMatching(/^req_/),
    });
    secrets.failCreates = false;
    const list = await t.call("GET", `/api/v1/dns-providers/${providerId}/credentials`);
    expect(list.body.credentials.map((c: { name: string }) => c.name)).not.toContain("Doomed");
    expect(await auditActions()).toEqual(before);
    expect(await storedSecretNames(secrets)).toEqual((await referencedSecrets(providerId)));
    // The pattern was never claimed: the same credential can be created now.
    const retry = await t.call("POST", `/api/v1/dns-providers/${providerId}/credentials`, {
      name: "Doomed",
      zone_filter: "*.doomed.example.com",
      credentials: { api_token: "doomed-token-value" },
    });
    expect(retry.status).toBe(201);
  });

  it("a create whose transaction loses a race deletes the secret it wrote", async () => {
    const { providerId } = await providerWith(t, {});
    // Between this request's secret write and its metadata commit, another credential takes the pattern.
    secrets.afterCreate = async () => {
      await t.call("POST", `/api/v1/dns-providers/${providerId}/credentials`, {
        name: "Winner",
        zone_filter: "*.contested.example.com",
        credentials: { api_token: "winner-token-value" },
      });
    };
    const loser = await t.call("POST", `/api/v1/dns-providers/${providerId}/credentials`, {
      name: "Loser",
      zone_filter: "*.contested.example.com",
      credentials: { api_token: "loser-token-value" },
    });
    expect(loser.status).toBe(409);
    expect(loser.body.message).toBe("Zone filter '*.contested.example.com' conflicts with existing credential");
    expect(await storedSecretNames(secrets)).toEqual(await referencedSecrets(providerId));
  });

  it("a rotation that loses a version race keeps the old secret and deletes the new one", async () => {
    const { providerId, ids } = await providerWith(t, { Rotating: "*.rotating.example.com" });
    const path = `/api/v1/dns-providers/${providerId}/credentials/${ids.Rotating}`;
    const oldSecret = (await t.services.credentials.get(providerId, ids.Rotating!)).credential.secretName;
    secrets.afterCreate = async () => {
      expect((await t.call("PATCH", path, { description: "changed meanwhile" })).status).toBe(200);
    };
    const rotation = await t.call("PATCH", path, { credentials: { api_token: "rotated-token-value" } });
    expect(rotation.status).toBe(409);
    expect(rotation.body.message).toBe(`Credential with ID ${ids.Rotating} was changed by another request; retry`);
    const stored = (await t.services.credentials.get(providerId, ids.Rotating!)).credential;
    expect(stored.secretName).toBe(oldSecret);
    expect(stored.description).toBe("changed meanwhile");
    expect(await secrets.get(oldSecret)).toEqual({ api_token: "token-of-Rotating" });
    expect(await storedSecretNames(secrets)).toEqual(await referencedSecrets(providerId));
  });

  it("a rotation writes a new secret, commits, then deletes the old one", async () => {
    const { providerId, ids } = await providerWith(t, { Rotating: "*.rotating.example.com" });
    const oldSecret = (await t.services.credentials.get(providerId, ids.Rotating!)).credential.secretName;
    const rotation = await t.call("PATCH", `/api/v1/dns-providers/${providerId}/credentials/${ids.Rotating}`, {
      credentials: { CF_API_TOKEN: "rotated-token-value" },
    });
    expect(rotation.status).toBe(200);
    expect(rotation.body.credentials).toEqual({ api_token: "set" });
    const newSecret = (await t.services.credentials.get(providerId, ids.Rotating!)).credential.secretName;
    expect(newSecret).not.toBe(oldSecret);
    expect(await secrets.get(oldSecret)).toBeUndefined();
    expect(await secrets.get(newSecret)).toEqual({ api_token: "rotated-token-value" });
    expect(await storedSecretNames(secrets)).toEqual(await referencedSecrets(providerId));
  });

  it("the sweeper removes orphans older than an hour, and nothing that is referenced", async () => {
    const { providerId, ids } = await providerWith(t, { Kept: "*.kept.example.com", Gone: "*.gone.example.com" });
    // Clean-up after commits fails: the rotated-out and the deleted credential's secrets stay behind.
    secrets.failDeletes = true;
    expect((await t.call("PATCH", `/api/v1/dns-providers/${providerId}/credentials/${ids.Kept}`, { credentials: { api_token: "kept-2" } })).status).toBe(200);
    expect((await t.call("DELETE", `/api/v1/dns-providers/${providerId}/credentials/${ids.Gone}`)).status).toBe(200);
    secrets.failDeletes = false;
    const referenced = await referencedSecrets(providerId);
    expect((await storedSecretNames(secrets)).length).toBe(referenced.length + 2);

    const tooYoung = await t.services.credentials.sweepOrphanSecrets();
    expect(tooYoung.deleted).toEqual([]);
    clock.advance(61 * 60 * 1000);
    const swept = await t.services.credentials.sweepOrphanSecrets();
    expect(swept.deleted).toHaveLength(2);
    expect(await storedSecretNames(secrets)).toEqual(referenced);
    expect((await t.services.credentials.sweepOrphanSecrets()).deleted).toEqual([]);
  });
});
