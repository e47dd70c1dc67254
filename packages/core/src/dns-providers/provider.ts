import type { DnsProviderTypeName } from "../ports/dns-provider.js";

/**
 * A configured DNS provider (rest-api.md's `acme_dns_provider` + `meta`). Its own secret is its
 * primary credential: the one that serves every name in single-credential mode, and the one
 * multi-credential mode starts from ("{Provider} Primary Credential").
 */
export interface DnsProvider {
  id: number;
  name: string;
  type: DnsProviderTypeName;
  multiCredential: boolean;
  /**
   * The credential single-credential mode uses. Null only in multi-credential mode after every
   * credential was deleted.
   */
  primaryCredentialId: number | null;
  /** When multi-credential mode was first enabled: the primary credential was migrated then. */
  migratedAt: string | null;
  /** Maintained in the transactions that create and delete credentials. */
  credentialCount: number;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** What of a provider decides which credential a name resolves to: its mode and its primary. */
export type ProviderSelection = Pick<DnsProvider, "id" | "multiCredential" | "primaryCredentialId">;

/** The documents' name for a provider's migrated credential: "Cloudflare Primary Credential". */
export function primaryCredentialName(providerLabel: string): string {
  return `${providerLabel} Primary Credential`;
}

export const MIGRATED_DESCRIPTION = "Migrated from single-credential mode";
