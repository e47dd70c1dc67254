import { auditEntry, type Actor } from "../audit/entry.js";
import { newCredential, type DnsCredential } from "../credentials/credential.js";
import { planMoves } from "../credentials/reassignment.js";
import type { CredentialRepository } from "../credentials/repository.js";
import { credentialSecretName, discardSecret, storeSecretThenCommit } from "../credentials/secrets.js";
import { ConflictError, NotFoundError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { DnsProviderType } from "../ports/dns-provider.js";
import type { PageRequest } from "../ports/page.js";
import type { SecretStore } from "../ports/secret-store.js";
import type { DnsProviderCatalog } from "./catalog.js";
import { MIGRATED_DESCRIPTION, primaryCredentialName, type DnsProvider } from "./provider.js";
import type { DnsChange, DnsProviderRepository } from "./repository.js";
import { credentialsOfProvider, providerType, splitCredentials, trimmedName } from "./types.js";

export const MAX_PROVIDER_NAME_LENGTH = 100;

/** A provider with its primary credential, which holds what `meta` shows. */
export interface ProviderView {
  provider: DnsProvider;
  primary: DnsCredential | null;
}

export interface NewProviderInput {
  name: string;
  type: string;
  /** The primary credential in either spelling (`CF_API_TOKEN` or `api_token`). */
  meta: unknown;
}

export interface ProviderPatch {
  name?: string;
  /** Must equal the stored type when given: a provider never changes type. */
  type?: string;
  /** Replaces the primary credential's fields (a rotation). */
  meta?: unknown;
}

export interface DnsProviderServiceDeps {
  providers: DnsProviderRepository;
  credentials: CredentialRepository;
  secrets: SecretStore;
  catalog: DnsProviderCatalog;
  clock: Clock;
}

/**
 * DNS providers (rest-api.md) and their credential mode (multi-credential-dns.md, "Enabling
 * Multi-Credential Mode" and "Backward Compatibility").
 */
export class DnsProviderService {
  constructor(private readonly deps: DnsProviderServiceDeps) {}

  types(): readonly DnsProviderType[] {
    return this.deps.catalog.types;
  }

  descriptor(type: string): DnsProviderType {
    return providerType(this.deps.catalog, type);
  }

  async list(page: PageRequest): Promise<{ providers: ProviderView[]; cursor?: string }> {
    const { items, cursor } = await this.deps.providers.listProviders(page);
    const primaries = await this.deps.credentials.getCredentials(
      items.flatMap((p) => (p.primaryCredentialId === null ? [] : [{ providerId: p.id, id: p.primaryCredentialId }])),
    );
    const byId = new Map(primaries.map((c) => [c.id, c]));
    const providers = items.map((provider) => ({
      provider,
      primary: (provider.primaryCredentialId !== null && byId.get(provider.primaryCredentialId)) || null,
    }));
    return { providers, cursor };
  }

  async get(id: number): Promise<ProviderView> {
    const provider = await this.provider(id, false);
    return { provider, primary: await this.primaryOf(provider, false) };
  }

  async create(input: NewProviderInput, actor: Actor): Promise<ProviderView> {
    const descriptor = providerType(this.deps.catalog, input.type);
    const name = trimmedName(input.name, MAX_PROVIDER_NAME_LENGTH);
    const values = this.deps.catalog.normaliseCredentials(descriptor.type, input.meta);
    const { secret, settings } = splitCredentials(descriptor, values);
    const [id, credentialId] = await Promise.all([
      this.deps.providers.nextProviderId(),
      this.deps.credentials.nextCredentialId(),
    ]);
    const now = this.deps.clock.now().toISOString();
    const provider: DnsProvider = {
      id,
      name,
      type: descriptor.type,
      multiCredential: false,
      primaryCredentialId: credentialId,
      migratedAt: null,
      credentialCount: 1,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    // Named as the documents' migration names it, so enabling multi-credential mode later
    // only has to describe it.
    const primary = newCredential(
      {
        id: credentialId,
        providerId: id,
        name: primaryCredentialName(descriptor.label),
        description: null,
        zoneFilter: "",
        enabled: true,
        settings,
        secretName: credentialSecretName(id, credentialId),
      },
      secret,
      now,
    );
    const audit = auditEntry(actor, this.deps.clock.now(), {
      action: "dns_provider_created",
      resourceType: "dns_provider",
      resourceId: id,
      resourceName: name,
      provider: descriptor.type,
      zoneFilter: null,
      details: { primary_credential_id: credentialId, secret_fields_set: primary.secretFields },
    });
    await storeSecretThenCommit(this.deps, primary.secretName, secret, () =>
      this.deps.providers.commit(
        [
          { kind: "create_provider", provider },
          { kind: "create_credential", credential: primary },
        ],
        audit,
      ),
    );
    return { provider, primary };
  }

  async update(id: number, patch: ProviderPatch, actor: Actor): Promise<ProviderView> {
    const before = await this.provider(id, true);
    // Another supported type is a sound request the stored provider cannot take: 409 (decision 0018).
    if (patch.type !== undefined && patch.type !== before.type) {
      const message = `acme_dns_provider: a DNS provider cannot change type ('${before.type}'); create a new provider instead`;
      if (this.deps.catalog.types.some((t) => t.type === patch.type)) throw new ConflictError(message);
      providerType(this.deps.catalog, patch.type);
    }
    const primaryBefore = await this.primaryOf(before, true);
    const name = patch.name === undefined ? before.name : trimmedName(patch.name, MAX_PROVIDER_NAME_LENGTH);
    if (name === before.name && patch.meta === undefined) return { provider: before, primary: primaryBefore };

    const now = this.deps.clock.now().toISOString();
    const after: DnsProvider = { ...before, name, version: before.version + 1, updatedAt: now };
    const changes: DnsChange[] = [{ kind: "update_provider", before, after }];
    const changedFields = name === before.name ? [] : ["name"];
    let rotation: { secret: Record<string, string>; primary: DnsCredential } | undefined;
    if (patch.meta !== undefined) {
      if (!primaryBefore) {
        throw new ConflictError(
          `DNS provider ${id} has no primary credential; set credentials through POST /api/v1/dns-providers/${id}/credentials`,
        );
      }
      const values = credentialsOfProvider(this.deps.catalog, before, "meta", patch.meta);
      const { secret, settings } = splitCredentials(providerType(this.deps.catalog, before.type), values);
      const primary: DnsCredential = {
        ...primaryBefore,
        settings,
        secretName: credentialSecretName(id, primaryBefore.id),
        secretFields: Object.keys(secret).sort(),
        version: primaryBefore.version + 1,
        updatedAt: now,
      };
      changes.push({ kind: "update_credential", before: primaryBefore, after: primary });
      changedFields.push("meta");
      rotation = { secret, primary };
    }
    const audit = auditEntry(actor, this.deps.clock.now(), {
      action: "dns_provider_updated",
      resourceType: "dns_provider",
      resourceId: id,
      resourceName: after.name,
      provider: after.type,
      zoneFilter: null,
      details: {
        changed_fields: changedFields,
        ...(rotation ? { secret_fields_set: rotation.primary.secretFields } : {}),
      },
    });
    const commit = () => this.deps.providers.commit(changes, audit);
    if (rotation && primaryBefore) {
      await storeSecretThenCommit(this.deps, rotation.primary.secretName, rotation.secret, commit);
      await discardSecret(this.deps.secrets, primaryBefore.secretName);
      return { provider: after, primary: rotation.primary };
    }
    await commit();
    return { provider: after, primary: primaryBefore };
  }

  async delete(id: number, actor: Actor): Promise<void> {
    const provider = await this.provider(id, true);
    const usages = await this.deps.credentials.usages(id);
    if (usages.length > 0) {
      const certificateIds = [...new Set(usages.map((u) => u.certificateId))].sort((a, b) => a - b);
      const message = `Cannot delete DNS provider: ${certificateIds.length} ${certificateIds.length === 1 ? "certificate is" : "certificates are"} using this provider`;
      throw new ConflictError(
        message,
        { certificate_ids: certificateIds, affected_domains: [...new Set(usages.map((u) => u.domain))].sort() },
        message,
      );
    }
    const credentials = await this.deps.credentials.allCredentials(id);
    const entry = (action: string, deleted: DnsCredential[]) =>
      auditEntry(actor, this.deps.clock.now(), {
        action,
        resourceType: "dns_provider",
        resourceId: id,
        resourceName: provider.name,
        provider: provider.type,
        zoneFilter: null,
        details: { deleted_credential_ids: deleted.map((c) => c.id) },
      });
    // A provider with more credentials than one transaction holds loses them in earlier steps,
    // each recorded as it commits: a delete that fails after some steps leaves their record.
    const audit = {
      provider: entry("dns_provider_deleted", credentials),
      step: (deleted: DnsCredential[]) => entry("dns_provider_credentials_deleted", deleted),
    };
    // Secrets go only with credentials that are actually gone: a step that fails leaves the
    // rest stored and referenced, for the retry to delete.
    await this.deps.providers.deleteProvider(provider, credentials, audit, async (deleted) => {
      await Promise.all(deleted.map((c) => discardSecret(this.deps.secrets, c.secretName)));
    });
  }

  /**
   * Idempotent. The first time, the primary credential becomes "{Provider} Primary Credential"
   * with an empty (catch-all) filter and the migration description: every name keeps the
   * credential it had, so nothing is interrupted. Later times restore the credentials as they
   * were left, creating nothing.
   */
  async enableMultiCredential(id: number, actor: Actor): Promise<{ provider: DnsProvider; migrated: DnsCredential | null }> {
    const before = await this.provider(id, true);
    const primaryBefore = await this.primaryOf(before, true);
    if (before.multiCredential) {
      // A retry after a 409 from the re-evaluation finishes it; otherwise there is nothing to move.
      await this.reevaluate(before);
      return { provider: before, migrated: primaryBefore };
    }

    const now = this.deps.clock.now().toISOString();
    const after: DnsProvider = {
      ...before,
      multiCredential: true,
      migratedAt: before.migratedAt ?? now,
      version: before.version + 1,
      updatedAt: now,
    };
    const changes: DnsChange[] = [{ kind: "update_provider", before, after }];
    let migrated = primaryBefore;
    if (before.migratedAt === null && primaryBefore) {
      migrated = {
        ...primaryBefore,
        name: primaryCredentialName(providerType(this.deps.catalog, before.type).label),
        zoneFilter: "",
        description: MIGRATED_DESCRIPTION,
        enabled: true,
        version: primaryBefore.version + 1,
        updatedAt: now,
      };
      changes.push({ kind: "update_credential", before: primaryBefore, after: migrated });
    }
    const audit = auditEntry(actor, this.deps.clock.now(), {
      action: "multi_credential_enabled",
      resourceType: "dns_provider",
      resourceId: id,
      resourceName: before.name,
      provider: before.type,
      zoneFilter: null,
      details: { migrated_credential_id: migrated?.id ?? null, first_migration: before.migratedAt === null },
    });
    await this.deps.providers.commit(changes, audit);
    await this.reevaluate(after);
    return { provider: after, migrated };
  }

  /**
   * Idempotent. The first credential becomes the provider's primary again and serves every
   * name; the others stay stored, unused, until multi-credential mode is enabled again.
   */
  async disableMultiCredential(id: number, actor: Actor): Promise<{ provider: DnsProvider; primary: DnsCredential }> {
    const before = await this.provider(id, true);
    if (!before.multiCredential) {
      const primary = await this.primaryOf(before, true);
      if (primary) {
        // As for enabling: a retry completes a re-evaluation that contention cut short.
        await this.reevaluate(before);
        return { provider: before, primary };
      }
    }
    const credentials = await this.deps.credentials.allCredentials(id);
    const primary = credentials.find((c) => c.enabled) ?? credentials[0];
    if (!primary) {
      throw new ConflictError(
        `DNS provider ${id} has no credentials; create one before disabling multi-credential mode`,
      );
    }
    const now = this.deps.clock.now().toISOString();
    const after: DnsProvider = {
      ...before,
      multiCredential: false,
      primaryCredentialId: primary.id,
      version: before.version + 1,
      updatedAt: now,
    };
    const audit = auditEntry(actor, this.deps.clock.now(), {
      action: "multi_credential_disabled",
      resourceType: "dns_provider",
      resourceId: id,
      resourceName: before.name,
      provider: before.type,
      zoneFilter: null,
      details: { primary_credential_id: primary.id, retained_credential_ids: credentials.filter((c) => c.id !== primary.id).map((c) => c.id) },
    });
    // The chosen primary must still be there, as read, when the mode changes: a delete (or an
    // update that disables it) committing in between would leave single mode without a primary.
    await this.deps.providers.commit(
      [
        { kind: "update_provider", before, after },
        { kind: "require_credential", credential: primary },
      ],
      audit,
    );
    await this.reevaluate(after, credentials);
    return { provider: after, primary };
  }

  /** After a mode change: every certificate name to the credential it now resolves to. */
  private async reevaluate(provider: DnsProvider, credentials?: DnsCredential[]): Promise<void> {
    const [all, usages] = await Promise.all([
      credentials ?? this.deps.credentials.allCredentials(provider.id),
      this.deps.credentials.usages(provider.id),
    ]);
    await this.deps.credentials.moveUsages(provider, planMoves(provider, all, usages));
  }

  private async provider(id: number, consistent: boolean): Promise<DnsProvider> {
    const provider = await this.deps.providers.getProvider(id, consistent);
    if (!provider) throw new NotFoundError("DNS provider", id);
    return provider;
  }

  private async primaryOf(provider: DnsProvider, consistent: boolean): Promise<DnsCredential | null> {
    if (provider.primaryCredentialId === null) return null;
    return (await this.deps.credentials.getCredential(provider.id, provider.primaryCredentialId, consistent)) ?? null;
  }
}

