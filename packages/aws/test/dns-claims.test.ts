import { beforeAll, describe, expect, it } from "vitest";
import {
  ConflictError,
  CredentialInUseError,
  ConcurrentModificationError,
  auditEntry,
  type DnsCredential,
  type DnsProvider,
} from "@charon/core";
import { DynamoCredentialRepository, DynamoDnsProviderRepository, usageCountChange, usagePut, type DynamoTable } from "@charon/aws";
import { freshTable } from "../../../test/harness/dynamodb.js";

/**
 * The claim items alone (no service pre-check) keep names, patterns and the catch-all unique
 * per provider under concurrent transactions, and name the holder from the cancellation reason.
 */
let table: DynamoTable;
let providers: DynamoDnsProviderRepository;
let credentials: DynamoCredentialRepository;
const now = "2026-01-04T15:30:00.000Z";
const audit = (action: string) =>
  auditEntry({ user: "test", ipAddress: null, via: "test" }, new Date(now), {
    action,
    resourceType: "dns_credential",
    resourceId: 0,
    resourceName: null,
    provider: "cloudflare",
    zoneFilter: null,
  });

beforeAll(async () => {
  table = await freshTable();
  providers = new DynamoDnsProviderRepository(table);
  credentials = new DynamoCredentialRepository(table);
});

async function newProvider(): Promise<DnsProvider> {
  const provider: DnsProvider = {
    id: await providers.nextProviderId(),
    name: "P",
    type: "cloudflare",
    multiCredential: true,
    primaryCredentialId: null,
    migratedAt: now,
    credentialCount: 0,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  await providers.commit([{ kind: "create_provider", provider }], audit("dns_provider_created"));
  return provider;
}

async function draft(providerId: number, name: string, zoneFilter: string): Promise<DnsCredential> {
  const id = await credentials.nextCredentialId();
  return {
    id,
    providerId,
    name,
    description: null,
    zoneFilter,
    enabled: true,
    settings: {},
    secretName: `dns-credentials/${providerId}/${id}/00`,
    secretFields: ["api_token"],
    version: 1,
    createdAt: now,
    updatedAt: now,
    lastTestedAt: null,
    lastTestStatus: null,
    stats: { usageCount: 0, successCount: 0, failureCount: 0, lastUsedAt: null, lastSuccessAt: null, lastFailureAt: null },
  };
}

const create = (credential: DnsCredential) => providers.commit([{ kind: "create_credential", credential }], audit("credential_created"));

describe("claims in DynamoDB", () => {
  it("50 concurrent transactions for one pattern: one commits, 49 conflict naming it", async () => {
    const provider = await newProvider();
    const drafts = await Promise.all(Array.from({ length: 50 }, (_, i) => draft(provider.id, `C${i}`, `*.p.example.com,only-${i}.example.com`)));
    const outcomes = await Promise.allSettled(drafts.map(create));
    const winners = drafts.filter((_, i) => outcomes[i]!.status === "fulfilled");
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes.filter((o) => o.status === "rejected")) {
      const error = (outcome as PromiseRejectedResult).reason as ConflictError;
      expect(error).toBeInstanceOf(ConflictError);
      expect(error.message).toBe("Zone filter '*.p.example.com' conflicts with existing credential");
      expect(error.extra).toEqual({ conflicting_credential_id: winners[0]!.id });
    }
    // The losers claimed nothing: their own patterns are still free.
    await create(await draft(provider.id, "Later", "only-7.example.com"));
    expect((await providers.getProvider(provider.id, true))?.credentialCount).toBe(2);
  });

  it("a second catch-all and a name differing only in case conflict", async () => {
    const provider = await newProvider();
    const first = await draft(provider.id, "Fallback", "");
    await create(first);
    await expect(create(await draft(provider.id, "Other", ""))).rejects.toMatchObject({
      message: "Zone filter '' (catch-all) conflicts with existing credential",
      extra: { conflicting_credential_id: first.id },
    });
    await expect(create(await draft(provider.id, "FALLBACK", "x.example.com"))).rejects.toMatchObject({
      message: "A credential named 'FALLBACK' already exists for this provider",
      extra: { conflicting_credential_id: first.id },
    });
  });

  it("updates need the version they read; deletes need no usage", async () => {
    const provider = await newProvider();
    const credential = await draft(provider.id, "Versioned", "v.example.com");
    await create(credential);
    const renamed = { ...credential, name: "Renamed", version: 2 };
    await providers.commit([{ kind: "update_credential", before: credential, after: renamed }], audit("credential_updated"));
    const stale = providers.commit([{ kind: "update_credential", before: credential, after: { ...credential, description: "x", version: 2 } }], audit("credential_updated"));
    await expect(stale).rejects.toBeInstanceOf(ConcurrentModificationError);
    // The selection index follows the rename.
    const claims = await credentials.selectionClaims(provider.id, ["v.example.com"]);
    expect(claims?.patterns).toEqual([{ pattern: "v.example.com", holder: { id: credential.id, name: "Renamed", zoneFilter: "v.example.com" } }]);

    const usage = { providerId: provider.id, certificateId: 9, domain: "www.v.example.com", credentialId: credential.id };
    await table.transact([usagePut(table.name, usage), usageCountChange(table.name, provider.id, credential.id, 1)]);
    const removal = providers.commit([{ kind: "delete_credential", credential: renamed }], audit("credential_deleted"));
    await expect(removal).rejects.toBeInstanceOf(CredentialInUseError);
    expect(await credentials.getCredential(provider.id, credential.id, true)).toMatchObject({ name: "Renamed", stats: { usageCount: 1 } });
  });
});
