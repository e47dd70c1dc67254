import type { Permission, Scopes } from "../access/permissions.js";

/** An API token as stored: only the SHA-256 of its value, never the value. */
export interface ApiToken {
  id: number;
  name: string;
  permission: Permission;
  scopes: Scopes;
  /** Hex SHA-256 of the token value. */
  hash: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export type NewApiToken = Omit<ApiToken, "id" | "lastUsedAt" | "revokedAt">;
