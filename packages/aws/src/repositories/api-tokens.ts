import { ConflictError, type ApiToken, type ApiTokenRepository, type NewApiToken } from "@charon/core";
import { TransactionConflict, type DynamoTable } from "../dynamodb/table.js";

/**
 * Items:
 * - `TOKEN#<hash>` / `TOKEN`: the token, read on every authenticated request (one GetItem);
 *   gsi1 `TOKENS` / `TOKEN#<id>` lists tokens by id.
 * - `TOKENID#<id>` / `TOKENID`: id → hash, so a token can be revoked by id.
 */
export class DynamoApiTokenRepository implements ApiTokenRepository {
  constructor(private readonly table: DynamoTable) {}

  async findByHash(hash: string): Promise<ApiToken | undefined> {
    const item = await this.table.get<TokenItem>({ pk: `TOKEN#${hash}`, sk: "TOKEN" });
    return item ? fromItem(item) : undefined;
  }

  async create(token: NewApiToken): Promise<ApiToken> {
    const id = await this.table.nextId("api-token");
    const stored: ApiToken = { ...token, id, lastUsedAt: null, revokedAt: null };
    try {
      await this.table.transact([
        {
          Put: {
            TableName: this.table.name,
            Item: toItem(stored),
            ConditionExpression: "attribute_not_exists(pk)",
          },
        },
        {
          Put: {
            TableName: this.table.name,
            Item: { pk: `TOKENID#${id}`, sk: "TOKENID", hash: token.hash },
            ConditionExpression: "attribute_not_exists(pk)",
          },
        },
      ]);
    } catch (error) {
      if (error instanceof TransactionConflict) {
        throw new ConflictError("A token with this value already exists");
      }
      throw error;
    }
    return stored;
  }
}

interface TokenItem extends Record<string, unknown> {
  id: number;
  name: string;
  permission: ApiToken["permission"];
  scopes: ApiToken["scopes"];
  hash: string;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

function toItem(token: ApiToken): TokenItem & { pk: string; sk: string; gsi1pk: string; gsi1sk: string } {
  return {
    pk: `TOKEN#${token.hash}`,
    sk: "TOKEN",
    gsi1pk: "TOKENS",
    gsi1sk: `TOKEN#${String(token.id).padStart(12, "0")}`,
    id: token.id,
    name: token.name,
    permission: token.permission,
    scopes: token.scopes,
    hash: token.hash,
    created_at: token.createdAt,
    created_by: token.createdBy,
    expires_at: token.expiresAt,
    last_used_at: token.lastUsedAt,
    revoked_at: token.revokedAt,
  };
}

function fromItem(item: TokenItem): ApiToken {
  return {
    id: item.id,
    name: item.name,
    permission: item.permission,
    scopes: item.scopes,
    hash: item.hash,
    createdAt: item.created_at,
    createdBy: item.created_by,
    expiresAt: item.expires_at,
    lastUsedAt: item.last_used_at,
    revokedAt: item.revoked_at,
  };
}
