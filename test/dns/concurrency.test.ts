import { beforeAll, describe, expect, it } from "vitest";
import { dnsTestApp, storedSecretNames, type DnsTestApp } from "../support/dns-app.js";
import { providerWith } from "./helpers.js";

/** Spec §6: the uniqueness checks hold when requests race (claims written in the credential's transaction). */
let t: DnsTestApp;
beforeAll(async () => {
  t = await dnsTestApp();
});

async function createInParallel(providerId: number, bodies: unknown[]) {
  return Promise.all(bodies.map((body) => t.call("POST", `/api/v1/dns-providers/${providerId}/credentials`, body)));
}

describe("concurrent credential creates", () => {
  it("50 creates of the same pattern: exactly one 201, 49 × 409 naming the winner", async () => {
    const { providerId } = await providerWith(t, {});
    const results = await createInParallel(
      providerId,
      Array.from({ length: 50 }, (_, i) => ({ name: `Racer ${i}`, zone_filter: "*.race.example.com", credentials: { api_token: `race-token-${i}` } })),
    );
    const created = results.filter((r) => r.status === 201);
    const conflicts = results.filter((r) => r.status === 409);
    expect(created).toHaveLength(1);
    expect(conflicts).toHaveLength(49);
    for (const conflict of conflicts) {
      expect(conflict.body).toMatchObject({
        error: "Conflict",
        message: "Zone filter '*.race.example.com' conflicts with existing credential",
        conflicting_credential_id: created[0]!.body.id,
      });
    }
    const list = await t.call("GET", `/api/v1/dns-providers/${providerId}/credentials`);
    expect(list.body.credentials.filter((c: { zone_filter: string }) => c.zone_filter === "*.race.example.com")).toHaveLength(1);
    expect(list.body.total).toBe(list.body.credentials.length);
    // The 49 losers deleted the secrets they had written.
    const secrets = await storedSecretNames(t.secrets);
    expect(secrets.filter((name) => name.startsWith(`dns-credentials/${providerId}/`))).toHaveLength(list.body.total);
  });

  it("50 catch-alls: exactly one", async () => {
    const { providerId } = await providerWith(t, {});
    const results = await createInParallel(
      providerId,
      Array.from({ length: 50 }, (_, i) => ({ name: `Fallback ${i}`, zone_filter: "", credentials: { api_token: `fallback-token-${i}` } })),
    );
    const created = results.filter((r) => r.status === 201);
    expect(created).toHaveLength(1);
    const conflicts = results.filter((r) => r.status === 409);
    expect(conflicts).toHaveLength(49);
    for (const conflict of conflicts) expect(conflict.body.conflicting_credential_id).toBe(created[0]!.body.id);
  });

  it("50 creates of the same name (any case): exactly one", async () => {
    const { providerId } = await providerWith(t, {});
    const results = await createInParallel(
      providerId,
      Array.from({ length: 50 }, (_, i) => ({
        name: i % 2 === 0 ? "Shared Name" : "SHARED name",
        zone_filter: `*.n${i}.example.com`,
        credentials: { api_token: `name-token-${i}` },
      })),
    );
    const created = results.filter((r) => r.status === 201);
    expect(created).toHaveLength(1);
    const conflicts = results.filter((r) => r.status === 409);
    expect(conflicts).toHaveLength(49);
    for (const conflict of conflicts) {
      expect(conflict.body.message).toMatch(/^A credential named '.*' already exists for this provider$/);
      expect(conflict.body.conflicting_credential_id).toBe(created[0]!.body.id);
    }
  });

  it("two credentials enabled at once on one pattern: exactly one succeeds", async () => {
    const { providerId, ids } = await providerWith(t, { Old: "*.rotation.example.com" });
    const fresh = await Promise.all(
      [1, 2].map((n) =>
        t.call("POST", `/api/v1/dns-providers/${providerId}/credentials`, {
          name: `New ${n}`,
          zone_filter: "*.rotation.example.com",
          enabled: false,
          credentials: { api_token: `rotation-token-${n}` },
        }),
      ),
    );
    expect(fresh.map((r) => r.status)).toEqual([201, 201]);
    await t.call("PATCH", `/api/v1/dns-providers/${providerId}/credentials/${ids.Old}`, { zone_filter: "__deprecated__" });
    const enabled = await Promise.all(
      fresh.map((r) => t.call("PATCH", `/api/v1/dns-providers/${providerId}/credentials/${r.body.id}`, { enabled: true })),
    );
    expect(enabled.map((r) => r.status).sort()).toEqual([200, 409]);
  });
});
