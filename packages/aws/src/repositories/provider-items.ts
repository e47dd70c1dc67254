import type { DnsProvider, DnsProviderTypeName } from "@charon/core";
import type { Item, Key } from "../dynamodb/table.js";
import { sortableId } from "../dynamodb/sortable-id.js";

/**
 * The provider item, head of its partition `PROVIDER#<id>` (credentials, claims and usages
 * share it): shared by the provider and credential repositories.
 */
export const PROVIDER_SORT_KEY = "PROVIDER";
export const PROVIDER_LIST = "DNSPROVIDERS";

export function providerKey(id: number): Key {
  return { pk: `PROVIDER#${id}`, sk: PROVIDER_SORT_KEY };
}

export interface ProviderItem extends Item {
  pk: string;
  sk: string;
  id: number;
  name: string;
  type: DnsProviderTypeName;
  multi_credential: boolean;
  primary_credential_id: number | null;
  migrated_at: string | null;
  credential_count: number;
  version: number;
  created_at: string;
  updated_at: string;
}

export function toProviderItem(p: DnsProvider): ProviderItem & Record<"gsi1pk" | "gsi1sk" | "gsi2pk" | "gsi2sk", string> {
  const sortable = sortableId(p.id);
  return {
    ...(providerKey(p.id) as { pk: string; sk: string }),
    gsi1pk: PROVIDER_LIST,
    gsi1sk: sortable,
    gsi2pk: `DNSPROVIDERTYPE#${p.type}`,
    gsi2sk: sortable,
    id: p.id,
    name: p.name,
    type: p.type,
    multi_credential: p.multiCredential,
    primary_credential_id: p.primaryCredentialId,
    migrated_at: p.migratedAt,
    credential_count: p.credentialCount,
    version: p.version,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  };
}

export function fromProviderItem(item: ProviderItem): DnsProvider {
  return {
    id: item.id,
    name: item.name,
    type: item.type,
    multiCredential: item.multi_credential,
    primaryCredentialId: item.primary_credential_id ?? null,
    migratedAt: item.migrated_at ?? null,
    credentialCount: item.credential_count ?? 0,
    version: item.version,
    createdAt: item.created_at,
    updatedAt: item.updated_at,
  };
}
