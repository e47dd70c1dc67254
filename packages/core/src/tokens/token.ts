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

/** What a caller asks for in `POST /api/v1/tokens`. */
export interface TokenRequest {
  name: string;
  permission: Permission;
  scopes: Scopes;
  expiresAt: string | null;
}

/** A new token and its value: the only time the value is ever available. */
export interface IssuedToken {
  token: ApiToken;
  value: string;
}

/** Recognisable in logs and secret scanners; the rest is 256 random bits. */
export const TOKEN_PREFIX = "chrn_";
