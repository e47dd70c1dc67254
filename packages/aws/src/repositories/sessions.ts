import type { Session, SessionRepository } from "@charon/core";
import { tableSchema } from "../dynamodb/schema.js";
import type { DynamoTable } from "../dynamodb/table.js";

/**
 * Items: `SESSION#<sha256 of the cookie value>` / `SESSION`: the token behind it (its id and
 * hash), the CSRF token and the times; one GetItem per cookie request, removed by the table's TTL
 * once expired (the service compares `expires_at` itself: TTL deletion lags).
 */
export class DynamoSessionRepository implements SessionRepository {
  constructor(private readonly table: DynamoTable) {}

  async create(session: Session): Promise<void> {
    // 256 random bits: a taken key would mean a broken random source, so fail rather than overwrite.
    await this.table.put(toItem(session), { expression: "attribute_not_exists(pk)" });
  }

  async findByHash(hash: string): Promise<Session | undefined> {
    const item = await this.table.get<SessionItem>(sessionKey(hash));
    return item ? fromItem(item) : undefined;
  }

  async delete(hash: string): Promise<void> {
    await this.table.delete(sessionKey(hash));
  }
}

interface SessionItem extends Record<string, unknown> {
  hash: string;
  token_id: number;
  token_hash: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

function sessionKey(hash: string) {
  return { pk: `SESSION#${hash}`, sk: "SESSION" };
}

function toItem(session: Session) {
  return {
    ...sessionKey(session.hash),
    hash: session.hash,
    token_id: session.tokenId,
    token_hash: session.tokenHash,
    csrf_token: session.csrfToken,
    created_at: session.createdAt,
    expires_at: session.expiresAt,
    [tableSchema.ttlAttribute]: Math.ceil(Date.parse(session.expiresAt) / 1000),
  };
}

function fromItem(item: SessionItem): Session {
  return {
    hash: item.hash,
    tokenId: item.token_id,
    tokenHash: item.token_hash,
    csrfToken: item.csrf_token,
    createdAt: item.created_at,
    expiresAt: item.expires_at,
  };
}
