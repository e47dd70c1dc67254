import {
  ConcurrentModificationError,
  claimsOf,
  nameKey,
  type AuditEntry,
  type ClaimHolder,
  type CredentialRepository,
  type CredentialTestStatus,
  type CredentialUsage,
  type DnsCredential,
  type ProviderSelection,
  type Page,
  type PageRequest,
  type SelectionClaims,
  type UsageMove,
} from "@charon/core";
import { TransactionConflict, type DynamoTable, type Item, type Key, type TransactItem } from "../dynamodb/table.js";
import { auditEntryPut } from "./audit-entries.js";
import { credentialKey, fromUsageItem, usageCountChanges, usageMove, type UsageItem } from "./credential-usage.js";
import { fromProviderItem, providerKey, type ProviderItem } from "./provider-items.js";
import { isContention, transactWithRetry } from "./contention.js";

/**
 * Credentials of DNS providers and the claims that make their names and patterns unique
 * (packages/aws/README.md, "DynamoDB table"). All in the provider's partition `PROVIDER#<id>`:
 * - `CREDENTIAL#<12-digit id>`: the credential (metadata, statistics, never a secret value);
 * - `CLAIM#NAME#<lower-case name>`: the name, unique per provider;
 * - `CLAIM#PATTERN#<pattern>` and `CLAIM#CATCHALL`: held by the enabled credential whose filter
 *   has that pattern (or is empty). They are also the selection index: a name's candidates are
 *   the claims at its probe keys, fetched by key, with the holder's id, name and filter copied
 *   in so that no credential needs reading.
 */
export class DynamoCredentialRepository implements CredentialRepository {
  constructor(private readonly table: DynamoTable) {}

  nextCredentialId(): Promise<number> {
    return this.table.nextId("dns-credential");
  }

  async getCredential(providerId: number, id: number, consistent = false): Promise<DnsCredential | undefined> {
    const item = await this.table.get<CredentialItem>(credentialKey(providerId, id), consistent);
    return item ? fromCredentialItem(item) : undefined;
  }

  async getCredentials(keys: Array<{ providerId: number; id: number }>): Promise<DnsCredential[]> {
    const unique = new Map(keys.map((k) => [`${k.providerId}/${k.id}`, credentialKey(k.providerId, k.id)]));
    const items = await this.table.batchGet<CredentialItem>([...unique.values()]);
    return items.map(fromCredentialItem).sort((a, b) => a.id - b.id);
  }

  async listCredentials(providerId: number, page: PageRequest): Promise<Page<DnsCredential>> {
    return this.table.queryPage({ partition: providerKey(providerId).pk, prefix: CREDENTIAL_PREFIX, ...page }, fromCredentialItem);
  }

  async allCredentials(providerId: number): Promise<DnsCredential[]> {
    const items = await this.table.queryAll<CredentialItem>({
      partition: providerKey(providerId).pk,
      prefix: CREDENTIAL_PREFIX,
      consistent: true,
    });
    return items.map(fromCredentialItem);
  }

  async credentialUsages(providerId: number, id: number, limit: number) {
    const page = await this.table.query<{ domain: string; certificate_id: number }>({
      partition: `CREDUSAGE#${providerId}#${id}`,
      index: "gsi1",
      limit,
    });
    return page.items.map((i) => ({ domain: i.domain, certificateId: i.certificate_id }));
  }

  async selectionClaims(providerId: number, patterns: string[]): Promise<SelectionClaims | undefined> {
    const keys: Key[] = [providerKey(providerId), catchAllClaimKey(providerId), ...patterns.map((p) => patternClaimKey(providerId, p))];
    const items = await this.table.batchGet<Item>([...new Map(keys.map((k) => [k.sk, k])).values()]);
    let provider: ProviderItem | undefined;
    let catchAll: ClaimHolder | null = null;
    const found: SelectionClaims["patterns"] = [];
    for (const item of items) {
      const sk = String(item["sk"]);
      if (sk === providerKey(providerId).sk) provider = item as ProviderItem;
      else if (sk === CATCH_ALL_CLAIM) catchAll = holderOf(item as ClaimItem);
      else found.push({ pattern: sk.slice(PATTERN_CLAIM_PREFIX.length), holder: holderOf(item as ClaimItem) });
    }
    if (!provider) return undefined;
    return { provider: fromProviderItem(provider), patterns: found, catchAll };
  }

  async usages(providerId: number): Promise<CredentialUsage[]> {
    const items = await this.table.queryAll<UsageItem>({
      partition: providerKey(providerId).pk,
      prefix: "USAGE#",
      consistent: true,
    });
    return items.map(fromUsageItem);
  }

  /**
   * Several moves per transaction, with each credential's count moved once by the net delta.
   * If any usage changed meanwhile, its chunk is cancelled and its moves are retried one by
   * one, so one stale usage does not hold the others back. A move whose usage no longer points
   * where it did is skipped: whoever moved it wrote the newer state. A move that only kept
   * losing to concurrent writes (contention outlasting the retries) is not stale, though, and
   * skipping it would leave the name on a credential it no longer resolves to: that is a 409.
   */
  async moveUsages(
    provider: ProviderSelection,
    moves: UsageMove[],
  ): Promise<void> {
    for (let start = 0; start < moves.length; start += MOVES_PER_TRANSACTION) {
      const chunk = moves.slice(start, start + MOVES_PER_TRANSACTION);
      try {
        await transactWithRetry(this.table, this.moveItems(provider, chunk));
      } catch (error) {
        if (!(error instanceof TransactionConflict)) throw error;
        // The provider selects differently now: its mode change has re-evaluated every name.
        if (error.firstFailed() === 0) return;
        if (chunk.length === 1) {
          skipStale(error, provider.id);
          continue;
        }
        for (const move of chunk) {
          await transactWithRetry(this.table, this.moveItems(provider, [move])).catch((e: unknown) => skipStale(e, provider.id));
        }
      }
    }
  }

  /**
   * Records a test's outcome only on the credential whose secret was tested: a rotation that
   * committed during the test makes the outcome belong to a secret that is gone, so it is not
   * recorded (the audit entry still is, since the test did happen). Neither is an outcome
   * crowded out by certificate operations counting on the same credential: the provider has
   * answered by then, and the client gets its result rather than an error.
   */
  async recordTest(credential: DnsCredential, status: CredentialTestStatus, at: string, audit: AuditEntry): Promise<void> {
    try {
      await transactWithRetry(this.table, [
        {
          Update: {
            TableName: this.table.name,
            Key: credentialKey(credential.providerId, credential.id),
            UpdateExpression: "SET last_tested_at = :at, last_test_status = :status",
            ConditionExpression: "attribute_exists(pk) AND secret_name = :tested",
            ExpressionAttributeValues: { ":at": at, ":status": status, ":tested": credential.secretName },
          },
        },
        auditEntryPut(this.table.name, audit),
      ]);
    } catch (error) {
      const stale = error instanceof TransactionConflict && error.firstFailed() === 0;
      if (!stale && !isContention(error)) throw error;
      await transactWithRetry(this.table, [auditEntryPut(this.table.name, audit)]);
    }
  }

  /**
   * The marker `OUTCOME#<key>` is put in the same transaction as the counts and the audit entry,
   * on condition that it is new: an outcome recorded already cancels the whole transaction, and
   * that answer is success. The marker goes by TTL after OUTCOME_MARKER_DAYS, long after any
   * redelivery of the order's messages (SQS keeps a message 14 days at most).
   */
  async recordChallengeOutcome(
    credential: { providerId: number; id: number } | null,
    succeeded: boolean,
    at: string,
    audit: AuditEntry,
    key: string,
  ): Promise<void> {
    const counter = succeeded ? "success_count" : "failure_count";
    const last = succeeded ? "last_success_at" : "last_failure_at";
    const marker = {
      pk: `OUTCOME#${key}`,
      sk: "OUTCOME",
      recorded_at: at,
      expires_at_epoch: Math.ceil(Date.parse(at) / 1000) + OUTCOME_MARKER_DAYS * 24 * 60 * 60,
    };
    try {
      await transactWithRetry(this.table, [
        { Put: { TableName: this.table.name, Item: marker, ConditionExpression: "attribute_not_exists(pk)" } },
        ...(credential
          ? [
              {
                Update: {
                  TableName: this.table.name,
                  Key: credentialKey(credential.providerId, credential.id),
                  UpdateExpression: `ADD ${counter} :one SET last_used_at = :at, ${last} = :at`,
                  ConditionExpression: "attribute_exists(pk)",
                  ExpressionAttributeValues: { ":one": 1, ":at": at },
                },
              },
            ]
          : []),
        auditEntryPut(this.table.name, audit),
      ]);
    } catch (error) {
      // Recorded before (a retry of the step that recorded it): nothing more to do.
      if (error instanceof TransactionConflict && error.firstFailed() === 0) return;
      throw error;
    }
  }

  private moveItems(
    provider: ProviderSelection,
    moves: UsageMove[],
  ): TransactItem[] {
    const providerId = provider.id;
    return [
      // First, so that a failure here is told apart from a usage that moved (firstFailed() === 0).
      {
        ConditionCheck: {
          TableName: this.table.name,
          Key: providerKey(providerId),
          ...(provider.multiCredential
            ? { ConditionExpression: "multi_credential = :multi", ExpressionAttributeValues: { ":multi": true } }
            : {
                ConditionExpression: "multi_credential = :multi AND primary_credential_id = :primary",
                ExpressionAttributeValues: { ":multi": false, ":primary": provider.primaryCredentialId },
              }),
        },
      },
      ...moves.map(({ usage, toCredentialId }) => usageMove(this.table.name, usage, toCredentialId)),
      ...usageCountChanges(
        this.table.name,
        moves.flatMap(({ usage, toCredentialId }) => [
          { providerId, credentialId: usage.credentialId, delta: -1 },
          { providerId, credentialId: toCredentialId, delta: 1 },
        ]),
      ),
    ];
  }
}

/** Swallows a move that found its usage (or a credential) changed; anything else propagates. */
function skipStale(error: unknown, providerId: number): void {
  if (error instanceof TransactionConflict && error.firstFailed() !== -1) return;
  if (isContention(error)) throw new ConcurrentModificationError("DNS provider", providerId, { cause: error });
  throw error;
}

/** How long an outcome's marker is kept (days): longer than any order's messages can come back. */
const OUTCOME_MARKER_DAYS = 30;

/** Each move touches its usage and at most two credentials; with the provider check, 30 keep a chunk under 100 items. */
const MOVES_PER_TRANSACTION = 30;

export const CREDENTIAL_PREFIX = "CREDENTIAL#";
const NAME_CLAIM_PREFIX = "CLAIM#NAME#";
const PATTERN_CLAIM_PREFIX = "CLAIM#PATTERN#";
const CATCH_ALL_CLAIM = "CLAIM#CATCHALL";

function nameClaimKey(providerId: number, name: string): Key {
  return { pk: providerKey(providerId).pk, sk: `${NAME_CLAIM_PREFIX}${nameKey(name)}` };
}

function patternClaimKey(providerId: number, pattern: string): Key {
  return { pk: providerKey(providerId).pk, sk: `${PATTERN_CLAIM_PREFIX}${pattern}` };
}

function catchAllClaimKey(providerId: number): Key {
  return { pk: providerKey(providerId).pk, sk: CATCH_ALL_CLAIM };
}

/** What a failed claim write ran into, read back from its key. */
export type ClaimKind = { kind: "name" } | { kind: "pattern"; pattern: string } | { kind: "catch_all" };

export function claimKindOf(sk: string): ClaimKind | undefined {
  if (sk.startsWith(NAME_CLAIM_PREFIX)) return { kind: "name" };
  if (sk.startsWith(PATTERN_CLAIM_PREFIX)) return { kind: "pattern", pattern: sk.slice(PATTERN_CLAIM_PREFIX.length) };
  if (sk === CATCH_ALL_CLAIM) return { kind: "catch_all" };
  return undefined;
}

export function isCredentialSortKey(sk: string): boolean {
  return sk.startsWith(CREDENTIAL_PREFIX);
}

interface ClaimItem extends Item {
  credential_id: number;
  credential_name?: string;
  zone_filter?: string;
}

function holderOf(item: ClaimItem): ClaimHolder {
  return { id: item.credential_id, name: item.credential_name ?? "", zoneFilter: item.zone_filter ?? "" };
}

/** Claims a credential holds, keyed by sort key, with what each stores. */
function claimItems(credential: DnsCredential): Map<string, Item> {
  const holder = { credential_id: credential.id, credential_name: credential.name, zone_filter: credential.zoneFilter };
  const claims = new Map<string, Item>();
  const name = nameClaimKey(credential.providerId, credential.name);
  claims.set(name.sk, { ...name, credential_id: credential.id, credential_name: credential.name });
  const { patterns, catchAll } = claimsOf(credential);
  for (const pattern of patterns) {
    const key = patternClaimKey(credential.providerId, pattern);
    claims.set(key.sk, { ...key, ...holder });
  }
  if (catchAll) {
    const key = catchAllClaimKey(credential.providerId);
    claims.set(key.sk, { ...key, ...holder });
  }
  return claims;
}

const HELD_BY_ME = "credential_id = :me";

/** The writes that create a credential: the item and every claim, each claim only if free. */
export function credentialCreateItems(tableName: string, credential: DnsCredential): TransactItem[] {
  return [
    {
      Put: {
        TableName: tableName,
        Item: toCredentialItem(credential),
        ConditionExpression: "attribute_not_exists(pk)",
      },
    },
    ...[...claimItems(credential).values()].map((item) => claimPut(tableName, item)),
  ];
}

/**
 * The writes that change a credential: its metadata (statistics untouched, since certificate
 * operations add to them concurrently) if the version is still `before`'s, and the claim
 * difference: claims it gives up, claims it takes (only if free), and claims it keeps whose
 * copy of its name or filter changed.
 */
export function credentialUpdateItems(tableName: string, before: DnsCredential, after: DnsCredential): TransactItem[] {
  const items: TransactItem[] = [
    {
      Update: {
        TableName: tableName,
        Key: credentialKey(before.providerId, before.id),
        UpdateExpression:
          "SET #name = :name, description = :description, zone_filter = :filter, enabled = :enabled, " +
          "settings = :settings, secret_name = :secret, secret_fields = :fields, version = :next, updated_at = :updated",
        ConditionExpression: "version = :version",
        ExpressionAttributeNames: { "#name": "name" },
        ExpressionAttributeValues: {
          ":name": after.name,
          ":description": after.description,
          ":filter": after.zoneFilter,
          ":enabled": after.enabled,
          ":settings": after.settings,
          ":secret": after.secretName,
          ":fields": after.secretFields,
          ":next": after.version,
          ":updated": after.updatedAt,
          ":version": before.version,
        },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      },
    },
  ];
  const held = claimItems(before);
  const wanted = claimItems(after);
  const holderChanged = before.name !== after.name || before.zoneFilter !== after.zoneFilter;
  for (const [sk, item] of held) {
    if (!wanted.has(sk)) items.push(claimRelease(tableName, item, before.id));
  }
  for (const [sk, item] of wanted) {
    if (!held.has(sk)) items.push(claimPut(tableName, item));
    else if (holderChanged) {
      items.push({
        Put: {
          TableName: tableName,
          Item: item,
          ConditionExpression: HELD_BY_ME,
          ExpressionAttributeValues: { ":me": before.id },
        },
      });
    }
  }
  return items;
}

/** Deletes a credential if unchanged and unused, with its claims. */
export function credentialDeleteItems(tableName: string, credential: DnsCredential): TransactItem[] {
  return [
    {
      Delete: {
        TableName: tableName,
        Key: credentialKey(credential.providerId, credential.id),
        ConditionExpression: "version = :version AND (attribute_not_exists(usage_count) OR usage_count = :zero)",
        ExpressionAttributeValues: { ":version": credential.version, ":zero": 0 },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      },
    },
    ...[...claimItems(credential).values()].map((item) => claimRelease(tableName, item, credential.id)),
  ];
}

function claimPut(tableName: string, item: Item): TransactItem {
  return {
    Put: {
      TableName: tableName,
      Item: item,
      ConditionExpression: "attribute_not_exists(pk)",
      // The holder of a taken claim names the conflicting credential without another read.
      ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    },
  };
}

function claimRelease(tableName: string, item: Item, holderId: number): TransactItem {
  return {
    Delete: {
      TableName: tableName,
      Key: { pk: item["pk"], sk: item["sk"] },
      ConditionExpression: HELD_BY_ME,
      ExpressionAttributeValues: { ":me": holderId },
    },
  };
}

export interface CredentialItem extends Item {
  pk: string;
  sk: string;
  id: number;
  provider_id: number;
  name: string;
  description: string | null;
  zone_filter: string;
  enabled: boolean;
  settings: Record<string, string>;
  secret_name: string;
  secret_fields: string[];
  version: number;
  created_at: string;
  updated_at: string;
  last_tested_at?: string | null;
  last_test_status?: CredentialTestStatus | null;
  usage_count?: number;
  success_count?: number;
  failure_count?: number;
  last_used_at?: string | null;
  last_success_at?: string | null;
  last_failure_at?: string | null;
}

function toCredentialItem(c: DnsCredential): CredentialItem {
  return {
    ...credentialKey(c.providerId, c.id),
    id: c.id,
    provider_id: c.providerId,
    name: c.name,
    description: c.description,
    zone_filter: c.zoneFilter,
    enabled: c.enabled,
    settings: c.settings,
    secret_name: c.secretName,
    secret_fields: c.secretFields,
    version: c.version,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    last_tested_at: c.lastTestedAt,
    last_test_status: c.lastTestStatus,
    usage_count: c.stats.usageCount,
    success_count: c.stats.successCount,
    failure_count: c.stats.failureCount,
    last_used_at: c.stats.lastUsedAt,
    last_success_at: c.stats.lastSuccessAt,
    last_failure_at: c.stats.lastFailureAt,
  };
}

export function fromCredentialItem(item: CredentialItem): DnsCredential {
  return {
    id: item.id,
    providerId: item.provider_id,
    name: item.name,
    description: item.description ?? null,
    zoneFilter: item.zone_filter,
    enabled: item.enabled,
    settings: item.settings ?? {},
    secretName: item.secret_name,
    secretFields: item.secret_fields ?? [],
    version: item.version,
    createdAt: item.created_at,
    updatedAt: item.updated_at,
    lastTestedAt: item.last_tested_at ?? null,
    lastTestStatus: item.last_test_status ?? null,
    stats: {
      usageCount: item.usage_count ?? 0,
      successCount: item.success_count ?? 0,
      failureCount: item.failure_count ?? 0,
      lastUsedAt: item.last_used_at ?? null,
      lastSuccessAt: item.last_success_at ?? null,
      lastFailureAt: item.last_failure_at ?? null,
    },
  };
}
