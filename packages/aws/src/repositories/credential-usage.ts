import type { CredentialUsage } from "@charon/core";
import type { Item, TransactItem } from "../dynamodb/table.js";
import { sortableId } from "../dynamodb/sortable-id.js";

/**
 * Which credential each certificate name resolves to ("usage"). Written by the certificate
 * repository with the certificate, rewritten by the credential repository when a zone filter
 * change moves names, and counted on the credential item (`usage_count`) in the same
 * transaction, so listing credentials never counts rows.
 *
 * Item: `PROVIDER#<providerId>` / `USAGE#<domain>#<certificateId>`;
 * gsi1 `CREDUSAGE#<providerId>#<credentialId>` / `<domain>#<certificateId>` lists the names
 * a credential serves (GET credential `domains`, delete-in-use `affected_domains`).
 */

export function credentialKey(providerId: number, credentialId: number) {
  return { pk: `PROVIDER#${providerId}`, sk: `CREDENTIAL#${sortableId(credentialId)}` };
}

export function usageKey(usage: Pick<CredentialUsage, "providerId" | "domain" | "certificateId">) {
  return { pk: `PROVIDER#${usage.providerId}`, sk: `USAGE#${usage.domain}#${usage.certificateId}` };
}

export function usagePut(tableName: string, usage: CredentialUsage): TransactItem {
  return { Put: { TableName: tableName, Item: usageItem(usage) } };
}

/**
 * Points a usage at another credential, only if it still points at the one it was read with:
 * a re-evaluation never overwrites a newer move or resurrects a deleted certificate's name.
 */
export function usageMove(tableName: string, usage: CredentialUsage, toCredentialId: number): TransactItem {
  return {
    Put: {
      TableName: tableName,
      Item: usageItem({ ...usage, credentialId: toCredentialId }),
      ConditionExpression: "credential_id = :from",
      ExpressionAttributeValues: { ":from": usage.credentialId },
    },
  };
}

/**
 * Removes a usage only if it still points at the credential it was read with, so the count
 * change beside it lowers the right credential: a usage moved (or removed) since it was read
 * cancels the transaction instead.
 */
export function usageDelete(tableName: string, usage: CredentialUsage): TransactItem {
  return {
    Delete: {
      TableName: tableName,
      Key: usageKey(usage),
      ConditionExpression: "credential_id = :seen",
      ExpressionAttributeValues: { ":seen": usage.credentialId },
    },
  };
}

/**
 * Writes (`direction` 1) or removes (-1) `usages` together with one count change per credential
 * they point at: put in one transaction, counts and usage items can never disagree.
 */
export function usageWrites(tableName: string, usages: CredentialUsage[], direction: 1 | -1): TransactItem[] {
  return [
    ...usages.map((u) => (direction > 0 ? usagePut(tableName, u) : usageDelete(tableName, u))),
    ...usageCountChanges(tableName, usages.map((u) => ({ ...u, delta: direction }))),
  ];
}

/**
 * One `usage_count` change per credential, by the sum of its `changes`: a transaction may touch
 * each credential item once. Credentials whose changes cancel out are left alone.
 */
export function usageCountChanges(
  tableName: string,
  changes: Array<{ providerId: number; credentialId: number; delta: number }>,
): TransactItem[] {
  const net = new Map<string, { providerId: number; credentialId: number; delta: number }>();
  for (const { providerId, credentialId, delta } of changes) {
    const key = credentialOf({ providerId, credentialId });
    const entry = net.get(key) ?? { providerId, credentialId, delta: 0 };
    entry.delta += delta;
    net.set(key, entry);
  }
  return [...net.values()]
    .filter((c) => c.delta !== 0)
    .map((c) => usageCountChange(tableName, c.providerId, c.credentialId, c.delta));
}

function credentialOf(usage: Pick<CredentialUsage, "providerId" | "credentialId">): string {
  return `${usage.providerId}/${usage.credentialId}`;
}

/**
 * Splits `usages` into steps whose `usageWrites` fit one transaction beside `reserved` other
 * items (each step holds its usages plus one count change per distinct credential).
 */
export function usageSteps(usages: CredentialUsage[], maxItems: number, reserved: number): CredentialUsage[][] {
  const steps: CredentialUsage[][] = [];
  let step: CredentialUsage[] = [];
  let credentials = new Set<string>();
  for (const u of usages) {
    const key = credentialOf(u);
    const size = reserved + step.length + 1 + credentials.size + (credentials.has(key) ? 0 : 1);
    if (step.length > 0 && size > maxItems) {
      steps.push(step);
      step = [];
      credentials = new Set();
    }
    step.push(u);
    credentials.add(key);
  }
  if (step.length > 0) steps.push(step);
  return steps;
}

/** Moves a credential's `usage_count` by `delta`; fails the transaction if the credential is gone. */
export function usageCountChange(
  tableName: string,
  providerId: number,
  credentialId: number,
  delta: number,
): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: credentialKey(providerId, credentialId),
      UpdateExpression: "ADD usage_count :delta",
      ConditionExpression: "attribute_exists(pk)",
      ExpressionAttributeValues: { ":delta": delta },
    },
  };
}

export interface UsageItem extends Item {
  provider_id: number;
  certificate_id: number;
  domain: string;
  credential_id: number;
}

export function fromUsageItem(item: UsageItem): CredentialUsage {
  return { providerId: item.provider_id, certificateId: item.certificate_id, domain: item.domain, credentialId: item.credential_id };
}

function usageItem(usage: CredentialUsage): UsageItem {
  return {
    ...usageKey(usage),
    gsi1pk: `CREDUSAGE#${usage.providerId}#${usage.credentialId}`,
    gsi1sk: `${usage.domain}#${usage.certificateId}`,
    provider_id: usage.providerId,
    certificate_id: usage.certificateId,
    domain: usage.domain,
    credential_id: usage.credentialId,
  };
}
