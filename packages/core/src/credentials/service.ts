import { findConflicts, findOverlaps, type OverlapWarning } from "@charon/zones";
import { auditEntry, type Actor } from "../audit/entry.js";
import { ConcurrentModificationError, ConflictError, NotFoundError, ValidationError } from "../errors.js";
import type { DnsProviderCatalog } from "../dns-providers/catalog.js";
import type { DnsProvider } from "../dns-providers/provider.js";
import type { DnsChange, DnsProviderRepository } from "../dns-providers/repository.js";
import { credentialsOfProvider, providerType, splitCredentials, trimmedName } from "../dns-providers/types.js";
import type { Clock } from "../ports/clock.js";
import type { PageRequest } from "../ports/page.js";
import type { SecretStore } from "../ports/secret-store.js";
import {
  MAX_CREDENTIAL_NAME_LENGTH,
  MAX_DESCRIPTION_LENGTH,
  canonicalFilter,
  claimsOf,
  newCredential,
  nameKey,
  storedFilter,
  type DnsCredential,
} from "./credential.js";
import { CredentialInUseError, claimConflict } from "./errors.js";
import { describeMoves, planMoves, type Reassignment } from "./reassignment.js";
import type { ProxyHostRepository } from "../proxy-hosts/repository.js";
import type { CredentialRepository } from "./repository.js";
import type { UsageMove } from "./usage.js";
import { credentialSecretName, discardSecret, storeSecretThenCommit } from "./secrets.js";
import { connectCredential } from "../dns-providers/challenge-credentials.js";
import { testCredential, type CredentialTestResult } from "./tester.js";
import { providerStatistics, type ProviderStatistics } from "./statistics.js";
import { sweepOrphanSecrets, type SweepReport } from "./sweeper.js";

export interface NewCredentialInput {
  name: string;
  description?: string | null;
  zoneFilter?: string;
  enabled?: boolean;
  /** Either spelling (`api_token` or `CF_API_TOKEN`); validated against the provider's type. */
  credentials: unknown;
}

/** Absent fields stay as they are; `credentials`, when given, replaces the whole set. */
export type CredentialPatch = Partial<NewCredentialInput>;

/**
 * The change is saved, but other requests on the provider kept some of its names from moving
 * to the credentials they now resolve to; re-evaluating the provider finishes the job.
 */
export interface ReassignmentIncompleteWarning {
  code: "reassignment_incomplete";
  message: string;
}

export type CredentialWarning = OverlapWarning | ReassignmentIncompleteWarning;

export interface SavedCredential {
  credential: DnsCredential;
  warnings: CredentialWarning[];
  /** Certificate names that resolve to another credential because of this change. */
  reassigned: Reassignment[];
}

/** `domains` lists at most this many names; `usage_count` always has the full count. */
export const MAX_LISTED_DOMAINS = 1000;

export interface CredentialServiceDeps {
  providers: DnsProviderRepository;
  credentials: CredentialRepository;
  /** Who uses the certificates a credential serves, for the delete-in-use answer. */
  proxyHosts: Pick<ProxyHostRepository, "idsUsingCertificates">;
  secrets: SecretStore;
  catalog: DnsProviderCatalog;
  clock: Clock;
}

/**
 * The credentials of a DNS provider (multi-credential-dns.md, "Managing Credentials"): CRUD
 * with the zone-filter rules of shared/spec/zone-matching.md, credential tests against the
 * provider, and re-evaluation of which credential each certificate name uses.
 */
export class CredentialService {
  constructor(private readonly deps: CredentialServiceDeps) {}

  async list(providerId: number, page: PageRequest) {
    const [provider, credentials] = await Promise.all([
      this.deps.providers.getProvider(providerId),
      this.deps.credentials.listCredentials(providerId, page),
    ]);
    if (!provider) throw new NotFoundError("DNS provider", providerId);
    return { credentials: credentials.items, total: provider.credentialCount, cursor: credentials.cursor };
  }

  async get(providerId: number, id: number): Promise<{ credential: DnsCredential; domains: string[] }> {
    const [credential, domains] = await Promise.all([
      this.deps.credentials.getCredential(providerId, id),
      this.deps.credentials.credentialUsages(providerId, id, MAX_LISTED_DOMAINS).then(domainsOf),
    ]);
    if (!credential) throw new NotFoundError("Credential", id);
    return { credential, domains };
  }

  async create(providerId: number, input: NewCredentialInput, actor: Actor): Promise<SavedCredential> {
    const provider = await this.provider(providerId);
    if (!provider.multiCredential) {
      throw new ConflictError(
        `Multi-credential mode is not enabled for DNS provider ${providerId}; enable it with POST /api/v1/dns-providers/${providerId}/enable-multi-credential`,
      );
    }
    const values = credentialsOfProvider(this.deps.catalog, provider, "credentials", input.credentials);
    const { secret, settings } = splitCredentials(providerType(this.deps.catalog, provider.type), values);
    const now = this.deps.clock.now().toISOString();
    const draft = newCredential(
      {
        id: 0,
        providerId,
        name: trimmedName(input.name, MAX_CREDENTIAL_NAME_LENGTH),
        description: validDescription(input.description ?? null),
        zoneFilter: canonicalFilter(input.zoneFilter ?? "").text,
        enabled: input.enabled ?? true,
        settings,
        secretName: "",
      },
      secret,
      now,
    );
    const [others, usages] = await Promise.all([
      this.deps.credentials.allCredentials(providerId),
      this.deps.credentials.usages(providerId),
    ]);
    const warnings = checkAgainstOthers(draft, others);
    const id = await this.deps.credentials.nextCredentialId();
    const credential: DnsCredential = { ...draft, id, secretName: credentialSecretName(providerId, id) };
    const moves = planMoves(provider, [...others, credential], usages);
    const reassigned = describeMoves(moves);
    const audit = auditEntry(actor, this.deps.clock.now(), {
      action: "credential_created",
      resourceType: "dns_credential",
      resourceId: id,
      resourceName: credential.name,
      provider: provider.type,
      zoneFilter: credential.zoneFilter,
      details: {
        provider_id: providerId,
        description: credential.description,
        enabled: credential.enabled,
        secret_fields_set: credential.secretFields,
        ...reassignedDetail(reassigned),
      },
    });
    await storeSecretThenCommit(this.deps, credential.secretName, secret, () =>
      this.deps.providers.commit([{ kind: "create_credential", credential }], audit),
    );
    const moved = await this.afterMoves(provider, credential, moves);
    return { credential: moved.credential, warnings: [...warnings, ...moved.warnings], reassigned };
  }

  async update(providerId: number, id: number, patch: CredentialPatch, actor: Actor): Promise<SavedCredential> {
    const [provider, before] = await Promise.all([this.provider(providerId), this.credential(providerId, id)]);
    const rotated =
      patch.credentials === undefined
        ? undefined
        : splitCredentials(
            providerType(this.deps.catalog, provider.type),
            credentialsOfProvider(this.deps.catalog, provider, "credentials", patch.credentials),
          );
    const after: DnsCredential = {
      ...before,
      name: patch.name === undefined ? before.name : trimmedName(patch.name, MAX_CREDENTIAL_NAME_LENGTH),
      description: patch.description === undefined ? before.description : validDescription(patch.description),
      // The stored filter sent back unchanged is not judged again: it may predate today's input rules.
      zoneFilter:
        patch.zoneFilter === undefined || patch.zoneFilter === before.zoneFilter ? before.zoneFilter : canonicalFilter(patch.zoneFilter).text,
      enabled: patch.enabled ?? before.enabled,
      settings: rotated?.settings ?? before.settings,
      secretName: rotated ? credentialSecretName(providerId, id) : before.secretName,
      secretFields: rotated ? Object.keys(rotated.secret).sort() : before.secretFields,
    };
    const changed = changedFields(before, after, rotated !== undefined);
    if (changed.length === 0) return { credential: before, warnings: [], reassigned: [] };

    const now = this.deps.clock.now().toISOString();
    const updated: DnsCredential = { ...after, updatedAt: now, version: before.version + 1 };
    const [all, usages] = await Promise.all([
      this.deps.credentials.allCredentials(providerId),
      this.deps.credentials.usages(providerId),
    ]);
    const others = all.filter((c) => c.id !== id);
    const warnings = checkAgainstOthers(updated, others);
    const moves = planMoves(provider, [...others, updated], usages);
    const reassigned = describeMoves(moves);
    const audit = auditEntry(actor, this.deps.clock.now(), {
      action: "credential_updated",
      resourceType: "dns_credential",
      resourceId: id,
      resourceName: updated.name,
      provider: provider.type,
      zoneFilter: updated.zoneFilter,
      details: {
        provider_id: providerId,
        changed_fields: changed,
        ...(changed.includes("zone_filter") ? { previous_zone_filter: before.zoneFilter } : {}),
        ...(changed.includes("name") ? { previous_name: before.name } : {}),
        ...(rotated ? { secret_fields_set: updated.secretFields } : {}),
        ...reassignedDetail(reassigned),
      },
    });
    const commit = () => this.deps.providers.commit([{ kind: "update_credential", before, after: updated }], audit);
    if (rotated) {
      await storeSecretThenCommit(this.deps, updated.secretName, rotated.secret, commit);
      await discardSecret(this.deps.secrets, before.secretName);
    } else {
      await commit();
    }
    const moved = await this.afterMoves(provider, updated, moves);
    return { credential: moved.credential, warnings: [...warnings, ...moved.warnings], reassigned };
  }

  async delete(providerId: number, id: number, actor: Actor): Promise<void> {
    const [provider, credential] = await Promise.all([this.provider(providerId), this.credential(providerId, id)]);
    if (!provider.multiCredential && provider.primaryCredentialId === id) {
      throw new ConflictError(
        `Credential ${id} is the primary credential of DNS provider ${providerId}, which is in single-credential mode; replace it through the provider, or delete the provider`,
      );
    }
    if (credential.stats.usageCount > 0) throw await this.inUse(credential);
    const now = this.deps.clock.now();
    const changes: DnsChange[] = [{ kind: "delete_credential", credential }];
    if (provider.primaryCredentialId === id) {
      // Multi-credential mode: disabling later promotes the first remaining credential.
      changes.push({
        kind: "update_provider",
        before: provider,
        after: { ...provider, primaryCredentialId: null, version: provider.version + 1, updatedAt: now.toISOString() },
      });
    }
    const audit = auditEntry(actor, now, {
      action: "credential_deleted",
      resourceType: "dns_credential",
      resourceId: id,
      resourceName: credential.name,
      provider: provider.type,
      zoneFilter: credential.zoneFilter,
      details: { provider_id: providerId },
    });
    try {
      await this.deps.providers.commit(changes, audit);
    } catch (error) {
      // A certificate started using it between the read and the write.
      if (error instanceof CredentialInUseError) throw await this.inUse(credential);
      throw error;
    }
    await discardSecret(this.deps.secrets, credential.secretName);
  }

  /** Tests a stored credential against its provider and records the outcome. */
  async test(providerId: number, id: number, actor: Actor): Promise<CredentialTestResult> {
    const [provider, read] = await Promise.all([this.provider(providerId), this.credential(providerId, id)]);
    const { credential, connected } = await connectCredential(this.deps, provider.type, read);
    const result = await testCredential(provider.type, () => connected.client, storedFilter(credential.zoneFilter), connected.secretValues);
    const at = this.deps.clock.now();
    const audit = auditEntry(actor, at, {
      action: "credential_tested",
      resourceType: "dns_credential",
      resourceId: id,
      resourceName: credential.name,
      provider: provider.type,
      zoneFilter: credential.zoneFilter,
      details: { provider_id: providerId, ...testAuditDetails(result) },
    });
    await this.deps.credentials.recordTest(credential, result.status, at.toISOString(), audit);
    return result;
  }

  /** Tests credentials before they are saved (the "Test Credential" button of the add form). */
  async testUnsaved(
    providerId: number,
    input: { credentials: unknown; zoneFilter?: string },
    actor: Actor,
  ): Promise<CredentialTestResult> {
    const provider = await this.provider(providerId);
    const values = credentialsOfProvider(this.deps.catalog, provider, "credentials", input.credentials);
    const { secret } = splitCredentials(providerType(this.deps.catalog, provider.type), values);
    const result = await testCredential(
      provider.type,
      () => this.deps.catalog.createClient(provider.type, values),
      canonicalFilter(input.zoneFilter ?? "").filter,
      Object.values(secret),
    );
    const audit = auditEntry(actor, this.deps.clock.now(), {
      action: "credential_tested",
      resourceType: "dns_provider",
      resourceId: providerId,
      resourceName: provider.name,
      provider: provider.type,
      zoneFilter: input.zoneFilter ?? null,
      details: { provider_id: providerId, credential: "unsaved", ...testAuditDetails(result) },
    });
    await this.deps.providers.commit([], audit);
    return result;
  }

  async statistics(providerId: number): Promise<ProviderStatistics> {
    const [provider, credentials] = await Promise.all([
      this.deps.providers.getProvider(providerId),
      this.deps.credentials.allCredentials(providerId),
    ]);
    if (!provider) throw new NotFoundError("DNS provider", providerId);
    return providerStatistics(provider, credentials, this.deps.clock.now());
  }

  /** Deletes credential secrets nothing references any more (run on a schedule). */
  sweepOrphanSecrets(): Promise<SweepReport> {
    return sweepOrphanSecrets(this.deps);
  }

  private async provider(id: number): Promise<DnsProvider> {
    const provider = await this.deps.providers.getProvider(id, true);
    if (!provider) throw new NotFoundError("DNS provider", id);
    return provider;
  }

  private async credential(providerId: number, id: number): Promise<DnsCredential> {
    const credential = await this.deps.credentials.getCredential(providerId, id, true);
    if (!credential) throw new NotFoundError("Credential", id);
    return credential;
  }

  /**
   * Moves the names a committed change reassigns; the saved credential as it is afterwards (its
   * usage count moved). The change itself is saved by then, so moves crowded out by other
   * requests are a warning on the answer, not an error the client would retry in vain (the
   * retried create finds its name taken, the retried update changes nothing).
   */
  private async afterMoves(
    provider: DnsProvider,
    saved: DnsCredential,
    moves: UsageMove[],
  ): Promise<{ credential: DnsCredential; warnings: ReassignmentIncompleteWarning[] }> {
    if (moves.length === 0) return { credential: saved, warnings: [] };
    const warnings: ReassignmentIncompleteWarning[] = [];
    try {
      await this.deps.credentials.moveUsages(provider, moves);
    } catch (error) {
      if (!(error instanceof ConcurrentModificationError)) throw error;
      warnings.push({
        code: "reassignment_incomplete",
        message:
          "Saved, but other requests on this provider kept some names from moving to the credential they now resolve to; " +
          `POST /api/v1/dns-providers/${saved.providerId}/enable-multi-credential re-evaluates them`,
      });
    }
    const credential = (await this.deps.credentials.getCredential(saved.providerId, saved.id, true)) ?? saved;
    return { credential, warnings };
  }

  private async inUse(credential: DnsCredential): Promise<CredentialInUseError> {
    const usages = await this.deps.credentials.credentialUsages(credential.providerId, credential.id, MAX_LISTED_DOMAINS);
    const certificates = [...new Set(usages.map((u) => u.certificateId))];
    const hosts = await this.deps.proxyHosts.idsUsingCertificates(certificates);
    return new CredentialInUseError(credential.id, { hosts: hosts.length, certificates: certificates.length }, domainsOf(usages));
  }
}


function domainsOf(usages: Array<{ domain: string }>): string[] {
  return [...new Set(usages.map((u) => u.domain))];
}

function validDescription(description: string | null): string | null {
  if (description === null) return null;
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    throw new ValidationError(`description: must be at most ${MAX_DESCRIPTION_LENGTH} characters`);
  }
  return description;
}

/**
 * Spec §6 against the provider's other credentials, before any write: a taken name, pattern or
 * catch-all is a 409 without touching the SecretStore. The transaction re-checks all of it
 * (that is what holds under concurrency); this only spares the common case a wasted secret.
 * Returns the overlap warnings.
 */
function checkAgainstOthers(candidate: DnsCredential, others: readonly DnsCredential[]): OverlapWarning[] {
  const sameName = others.find((o) => o.id !== candidate.id && nameKey(o.name) === nameKey(candidate.name));
  if (sameName) throw claimConflict({ kind: "name", name: candidate.name }, sameName.id);
  const claims = claimsOf(candidate);
  if (!claims.catchAll && claims.patterns.length === 0) return [];
  const filter = storedFilter(candidate.zoneFilter);
  const enabledOthers = others
    .filter((o) => o.id !== candidate.id && o.enabled)
    .map((o) => ({ id: o.id, filter: storedFilter(o.zoneFilter) }));
  const conflict = findConflicts(filter, enabledOthers)[0];
  if (conflict) {
    throw claimConflict(
      conflict.pattern === "" ? { kind: "catch_all" } : { kind: "pattern", pattern: conflict.pattern },
      conflict.credentialId,
    );
  }
  return findOverlaps(filter, enabledOthers);
}

/** The request's vocabulary, for the audit entry's `changed_fields`. */
function changedFields(before: DnsCredential, after: DnsCredential, rotated: boolean): string[] {
  const changed: string[] = [];
  if (before.name !== after.name) changed.push("name");
  if (before.description !== after.description) changed.push("description");
  if (before.zoneFilter !== after.zoneFilter) changed.push("zone_filter");
  if (before.enabled !== after.enabled) changed.push("enabled");
  if (rotated) changed.push("credentials");
  return changed;
}

function reassignedDetail(reassigned: Reassignment[]) {
  if (reassigned.length === 0) return {};
  return {
    reassigned_domains: reassigned.map((r) => ({
      domain: r.domain,
      certificate_id: r.certificateId,
      from_credential_id: r.fromCredentialId,
      to_credential_id: r.toCredentialId,
    })),
  };
}

function testAuditDetails(result: CredentialTestResult) {
  return {
    status: result.status,
    ...(result.details.testPerformed ? { test_performed: result.details.testPerformed } : {}),
    ...(result.details.errorCode ? { error_code: result.details.errorCode } : {}),
  };
}
