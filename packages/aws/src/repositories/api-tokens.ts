import {
  ConflictError,
  type ApiToken,
  type ApiTokenRepository,
  type AuditEntry,
  type AuthFailureCounter,
  type NewApiToken,
} from "@charon/core";
import { ConditionFailed, TransactionConflict, type DynamoTable } from "../dynamodb/table.js";
import { tableSchema } from "../dynamodb/schema.js";
import { auditEntryPut } from "./audit-entries.js";
import { updateItem } from "./item-update.js";
import { sortableId } from "../dynamodb/sortable-id.js";

/**
 * Items:
 * - `TOKEN#<hash>` / `TOKEN`: the token, read on every authenticated request (one GetItem);
 *   gsi1 `TOKENS` / `TOKEN#<id>` lists tokens by id.
 * - `TOKENID#<id>` / `TOKENID`: id → hash, so a token can be revoked by id.
 */
export class DynamoApiTokenRepository implements ApiTokenRepository {
  constructor(private readonly table: DynamoTable) {}

  async findByHash(hash: string): Promise<ApiToken | undefined> {
    const item = await this.table.get<TokenItem>(tokenKey(hash));
    return item ? fromItem(item) : undefined;
  }

  async findById(id: number): Promise<ApiToken | undefined> {
    const pointer = await this.table.get<{ hash: string }>(idKey(id), true);
    if (!pointer) return undefined;
    const item = await this.table.get<TokenItem>(tokenKey(pointer.hash), true);
    return item ? fromItem(item) : undefined;
  }

  async list(): Promise<ApiToken[]> {
    const items = await this.table.queryAll<TokenItem>({ partition: "TOKENS", index: "gsi1" });
    return items.map(fromItem);
  }

  async create(token: NewApiToken, audit?: (id: number) => AuditEntry): Promise<ApiToken> {
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
            Item: { ...idKey(id), hash: token.hash },
            ConditionExpression: "attribute_not_exists(pk)",
          },
        },
        ...(audit ? [auditEntryPut(this.table.name, audit(id))] : []),
      ]);
    } catch (error) {
      if (error instanceof TransactionConflict) {
        throw new ConflictError("A token with this value already exists");
      }
      throw error;
    }
    return stored;
  }

  async revoke(token: ApiToken, audit: AuditEntry): Promise<void> {
    await this.table.transact([
      { Delete: { TableName: this.table.name, Key: tokenKey(token.hash) } },
      { Delete: { TableName: this.table.name, Key: idKey(token.id) } },
      auditEntryPut(this.table.name, audit),
    ]);
  }

  async recordUse(token: ApiToken, at: string, staleBefore: string): Promise<void> {
    try {
      await updateItem(this.table, tokenKey(token.hash), {
        expression: "SET last_used_at = :at",
        condition: "attribute_exists(pk) AND (attribute_type(last_used_at, :null) OR last_used_at < :stale)",
        values: { ":at": at, ":stale": staleBefore, ":null": "NULL" },
      });
    } catch (error) {
      // Another request of the same token wrote first, or the token was just revoked.
      if (!(error instanceof ConditionFailed)) throw error;
    }
  }
}

/**
 * Failed authentications per client address and fixed window, removed by the table's TTL:
 * `AUTHFAIL#<address>` / `WINDOW#<window start>`, `count`, `expires_at_epoch`.
 */
export class DynamoAuthFailureCounter implements AuthFailureCounter {
  constructor(private readonly table: DynamoTable) {}

  async add(address: string, windowStart: Date, forgetAfter: Date): Promise<number> {
    const attributes = await updateItem(
      this.table,
      { pk: `AUTHFAIL#${address}`, sk: `WINDOW#${windowStart.toISOString()}` },
      {
        expression: "ADD #count :one SET #ttl = :ttl",
        names: { "#count": "count", "#ttl": tableSchema.ttlAttribute },
        values: { ":one": 1, ":ttl": Math.ceil(forgetAfter.getTime() / 1000) },
      },
    );
    return Number(attributes?.["count"] ?? 1);
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

function tokenKey(hash: string) {
  return { pk: `TOKEN#${hash}`, sk: "TOKEN" };
}

function idKey(id: number) {
  return { pk: `TOKENID#${id}`, sk: "TOKENID" };
}

function toItem(token: ApiToken): TokenItem & { pk: string; sk: string; gsi1pk: string; gsi1sk: string } {
  return {
    ...tokenKey(token.hash),
    gsi1pk: "TOKENS",
    gsi1sk: `TOKEN#${sortableId(token.id)}`,
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
