import {
  ConcurrentModificationError,
  CredentialInUseError,
  NotFoundError,
  ValidationError,
  claimConflict,
  type AuditEntry,
  type DnsChange,
  type DnsCredential,
  type DnsProvider,
  type DnsProviderRepository,
  type DnsProviderTypeName,
  type Page,
  type PageRequest,
} from "@charon/core";
import { TransactionConflict, itemOf, type DynamoTable, type Item, type TransactItem } from "../dynamodb/table.js";
import { auditEntryPut } from "./audit-entries.js";
import {
  claimKindOf,
  credentialCreateItems,
  credentialDeleteItems,
  credentialUpdateItems,
  isCredentialSortKey,
} from "./credentials.js";
import { credentialKey } from "./credential-usage.js";
import { isContention, transactWithRetry } from "./contention.js";
import {
  PROVIDER_LIST,
  PROVIDER_SORT_KEY,
  fromProviderItem,
  providerKey,
  toProviderItem,
  type ProviderItem,
} from "./provider-items.js";
import { MAX_TRANSACTION_ITEMS } from "./transaction-steps.js";

/**
 * DNS providers (packages/aws/README.md, "DynamoDB table"): `PROVIDER#<id>` / `PROVIDER`, the
 * head of the partition that also holds the provider's credentials, claims and usages;
 * gsi1 `DNSPROVIDERS` / `<12-digit id>` lists them, gsi2 `DNSPROVIDERTYPE#<type>` / `<id>` finds
 * them by type (rest-api.md's `meta.dns_provider`).
 */
export class DynamoDnsProviderRepository implements DnsProviderRepository {
  constructor(private readonly table: DynamoTable) {}

  nextProviderId(): Promise<number> {
    return this.table.nextId("dns-provider");
  }

  async getProvider(id: number, consistent = false): Promise<DnsProvider | undefined> {
    const item = await this.table.get<ProviderItem>(providerKey(id), consistent);
    return item ? fromProviderItem(item) : undefined;
  }

  async listProviders(page: PageRequest): Promise<Page<DnsProvider>> {
    return this.table.queryPage({ partition: PROVIDER_LIST, index: "gsi1", ...page }, fromProviderItem);
  }

  async providersOfType(type: DnsProviderTypeName, limit: number): Promise<DnsProvider[]> {
    const result = await this.table.query<ProviderItem>({ partition: `DNSPROVIDERTYPE#${type}`, index: "gsi2", limit });
    return result.items.map(fromProviderItem);
  }

  async commit(changes: DnsChange[], audit: AuditEntry): Promise<void> {
    const items: TransactItem[] = [];
    const alone = new Map<number, CredentialsAlone>();
    const aloneOf = (providerId: number) => {
      let entry = alone.get(providerId);
      if (!entry) alone.set(providerId, (entry = { delta: 0, created: false, deleted: [] }));
      return entry;
    };
    const created = new Set<number>();
    const updated = new Map<number, { before: DnsProvider; after: DnsProvider }>();
    for (const change of changes) {
      switch (change.kind) {
        case "create_provider":
          created.add(change.provider.id);
          items.push({
            Put: {
              TableName: this.table.name,
              Item: toProviderItem(change.provider),
              ConditionExpression: "attribute_not_exists(pk)",
            },
          });
          break;
        case "update_provider":
          updated.set(change.before.id, change);
          break;
        case "create_credential": {
          const entry = aloneOf(change.credential.providerId);
          entry.delta += 1;
          entry.created = true;
          items.push(...credentialCreateItems(this.table.name, change.credential));
          break;
        }
        case "update_credential":
          items.push(...credentialUpdateItems(this.table.name, change.before, change.after));
          break;
        case "delete_credential": {
          const entry = aloneOf(change.credential.providerId);
          entry.delta -= 1;
          entry.deleted.push(change.credential.id);
          items.push(...credentialDeleteItems(this.table.name, change.credential));
          break;
        }
        case "require_credential":
          items.push({
            ConditionCheck: {
              TableName: this.table.name,
              Key: credentialKey(change.credential.providerId, change.credential.id),
              ConditionExpression: "version = :version",
              ExpressionAttributeValues: { ":version": change.credential.version },
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            },
          });
          break;
      }
    }
    for (const { before, after } of updated.values()) {
      items.push(this.providerUpdate(before, after, alone.get(before.id)?.delta ?? 0));
    }
    for (const [providerId, entry] of alone) {
      // A provider created or updated in this change is written whole, against its version.
      if (created.has(providerId) || updated.has(providerId)) continue;
      items.push(this.credentialsAloneCheck(providerId, entry));
    }
    items.push(auditEntryPut(this.table.name, audit));
    if (items.length > MAX_TRANSACTION_ITEMS) {
      // Refused before anything is sent: a definite answer, which lets the caller clean up.
      throw new ValidationError(`A DNS change needs ${items.length} writes; one transaction holds ${MAX_TRANSACTION_ITEMS}`);
    }
    await this.transact(items);
  }

  /**
   * Credentials created or deleted without a provider update still move its count, which also
   * makes the write fail if the provider is gone. They do not change its version, so the
   * provider's mode is checked here as of the commit, not as the service read it: a credential
   * is only created in multi-credential mode, and never deleted while it is the primary of a
   * provider in single-credential mode (which would leave every name without a credential). A
   * mode change that commits first makes these fail, and the request answers 409.
   */
  private credentialsAloneCheck(providerId: number, entry: CredentialsAlone): TransactItem {
    const values: Record<string, unknown> = { ":multi": true };
    // A create needs multi mode, which also lets any delete beside it through. DynamoDB refuses
    // values the expression does not use, so the deleted ids are only bound when they are.
    let mode = "multi_credential = :multi";
    if (!entry.created) {
      const deleted = entry.deleted.map((id, i) => {
        values[`:deleted${i}`] = id;
        return `:deleted${i}`;
      });
      mode = `(multi_credential = :multi OR NOT primary_credential_id IN (${deleted.join(", ")}))`;
    }
    const check = {
      TableName: this.table.name,
      Key: providerKey(providerId),
      ConditionExpression: `attribute_exists(pk) AND ${mode}`,
      ReturnValuesOnConditionCheckFailure: "ALL_OLD" as const,
    };
    if (entry.delta === 0) return { ConditionCheck: { ...check, ExpressionAttributeValues: values } };
    return {
      Update: {
        ...check,
        UpdateExpression: "ADD credential_count :delta",
        ExpressionAttributeValues: { ...values, ":delta": entry.delta },
      },
    };
  }

  /**
   * Credentials go first, then the provider, so that a failure part-way leaves a provider that
   * still exists and lists what is left: a retry of the delete finishes the job. (Deleting the
   * provider first would answer the retry with 404 and strand the remaining credentials, claims
   * and secrets, which the sweeper keeps since they are still referenced.)
   *
   * The last transaction deletes the provider with its audit entry and as many whole credentials
   * as fit: all of them for a provider of ordinary size, so usually this is one transaction. It
   * always holds the primary credential, so a provider never exists without it in single mode.
   * It requires the provider's version and that its count equals what it deletes, so a
   * credential created meanwhile stops it. Earlier transactions each delete a batch and lower
   * the count, requiring the version. `onDeleted` learns after each transaction what it deleted.
   */
  async deleteProvider(
    provider: DnsProvider,
    credentials: DnsCredential[],
    audit: { provider: AuditEntry; step: (deleted: DnsCredential[]) => AuditEntry },
    onDeleted: (deleted: DnsCredential[]) => Promise<void>,
  ): Promise<void> {
    const isPrimary = (c: DnsCredential) => (c.id === provider.primaryCredentialId ? 1 : 0);
    const groups = [...credentials]
      .sort((a, b) => isPrimary(a) - isPrimary(b))
      .map((credential) => ({ credential, items: credentialDeleteItems(this.table.name, credential) }));
    const last: typeof groups = [];
    let room = MAX_TRANSACTION_ITEMS - 2;
    for (let group = groups.at(-1); group && group.items.length <= room; group = groups.at(-1)) {
      last.unshift(group);
      room -= group.items.length;
      groups.pop();
    }
    const batches: Array<{ groups: typeof groups; size: number }> = [];
    for (const group of groups) {
      const current = batches.at(-1);
      // Two items of each batch lower the provider's count and record the step.
      if (current && current.size + group.items.length <= MAX_TRANSACTION_ITEMS - 2) {
        current.groups.push(group);
        current.size += group.items.length;
      } else batches.push({ groups: [group], size: group.items.length });
    }
    for (const batch of batches) {
      await this.transact([
        ...batch.groups.flatMap((g) => g.items),
        {
          Update: {
            TableName: this.table.name,
            Key: providerKey(provider.id),
            UpdateExpression: "ADD credential_count :delta",
            ConditionExpression: "version = :version",
            ExpressionAttributeValues: { ":delta": -batch.groups.length, ":version": provider.version },
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          },
        },
        auditEntryPut(this.table.name, audit.step(batch.groups.map((g) => g.credential))),
      ]);
      await onDeleted(batch.groups.map((g) => g.credential));
    }
    await this.transact([
      {
        Delete: {
          TableName: this.table.name,
          Key: providerKey(provider.id),
          ConditionExpression: "version = :version AND credential_count = :count",
          ExpressionAttributeValues: { ":version": provider.version, ":count": last.length },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        },
      },
      auditEntryPut(this.table.name, audit.provider),
      ...last.flatMap((g) => g.items),
    ]);
    await onDeleted(last.map((g) => g.credential));
  }

  private providerUpdate(before: DnsProvider, after: DnsProvider, countDelta: number): TransactItem {
    return {
      Update: {
        TableName: this.table.name,
        Key: providerKey(before.id),
        UpdateExpression:
          "SET #name = :name, multi_credential = :multi, primary_credential_id = :primary, migrated_at = :migrated, " +
          "version = :next, updated_at = :updated" +
          (countDelta === 0 ? "" : " ADD credential_count :delta"),
        ConditionExpression: "version = :version",
        ExpressionAttributeNames: { "#name": "name" },
        ExpressionAttributeValues: {
          ":name": after.name,
          ":multi": after.multiCredential,
          ":primary": after.primaryCredentialId,
          ":migrated": after.migratedAt,
          ":next": after.version,
          ":updated": after.updatedAt,
          ":version": before.version,
          ...(countDelta === 0 ? {} : { ":delta": countDelta }),
        },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      },
    };
  }

  private async transact(items: TransactItem[]): Promise<void> {
    try {
      await transactWithRetry(this.table, items);
    } catch (error) {
      if (!(error instanceof TransactionConflict)) throw error;
      if (isContention(error)) throw contentionError(items, error);
      const index = error.firstFailed();
      const failed = items[index];
      if (!failed) throw error;
      throw conflictError(failed, error.reasons[index]?.item, error);
    }
  }
}

/**
 * The domain error for the item whose condition failed, read from its key and the item stored
 * there (the claim's holder is the conflicting credential).
 */
function conflictError(failed: TransactItem, stored: Item | undefined, cause: unknown): Error {
  const written = itemOf(failed) ?? {};
  const sk = String(written["sk"] ?? "");
  const pk = String(written["pk"] ?? "");
  if (sk === PROVIDER_SORT_KEY) {
    const id = Number(pk.slice("PROVIDER#".length));
    return stored ? new ConcurrentModificationError("DNS provider", id, { cause }) : new NotFoundError("DNS provider", id);
  }
  if (isCredentialSortKey(sk)) {
    const id = Number(sk.slice(sk.indexOf("#") + 1));
    // A credential the change relied on without writing it changed or went: the request's own
    // resource is fine, so this is a conflict to retry, never a 404.
    if (failed.ConditionCheck) return new ConcurrentModificationError("Credential", id, { cause });
    if (!stored) return new NotFoundError("Credential", id);
    const usageCount = Number(stored["usage_count"] ?? 0);
    if (failed.Delete && usageCount > 0) return new CredentialInUseError(id, { hosts: 0, certificates: usageCount }, []);
    return new ConcurrentModificationError("Credential", id, { cause });
  }
  const claim = claimKindOf(sk);
  const holderId = Number(stored?.["credential_id"]);
  const taking = failed.Put?.ConditionExpression === "attribute_not_exists(pk)";
  if (claim && taking && stored) {
    switch (claim.kind) {
      case "name":
        return claimConflict({ kind: "name", name: String(written["credential_name"]) }, holderId);
      case "pattern":
        return claimConflict({ kind: "pattern", pattern: claim.pattern }, holderId);
      case "catch_all":
        return claimConflict({ kind: "catch_all" }, holderId);
    }
  }
  // A claim to release or refresh is no longer this credential's: it changed meanwhile.
  const credentialId = Number(written["credential_id"] ?? failed.Delete?.ExpressionAttributeValues?.[":me"] ?? 0);
  return new ConcurrentModificationError("Credential", credentialId, { cause });
}

/**
 * Contention outlasted the retries: nothing was judged, the write was crowded out by others on
 * the same items. The request may simply be sent again.
 */
function contentionError(items: TransactItem[], error: TransactionConflict): Error {
  // A change writes under one provider's partition (beside its audit entry).
  const provider = items.map((item) => String(itemOf(item)?.["pk"] ?? "")).find((pk) => pk.startsWith("PROVIDER#"));
  return provider
    ? new ConcurrentModificationError("DNS provider", Number(provider.slice("PROVIDER#".length)), { cause: error })
    : error;
}

/** What credentials created or deleted in one change, without a provider update, require of it. */
interface CredentialsAlone {
  delta: number;
  created: boolean;
  deleted: number[];
}
