import { gunzipSync, gzipSync } from "node:zlib";
import { ValidationError, type AgentKey, type AgentReportRepository, type AuditEntry, type StoredAgentReport } from "@charon/core";
import type { DynamoTable, Item } from "../dynamodb/table.js";
import { auditEntryPut } from "./audit-entries.js";

/** DynamoDB's item limit is 400 KB; the rest of the item is a few bytes. */
const MAX_STORED_BYTES = 390_000;

/**
 * Items (packages/aws/README.md, "Agents"): `AGENTS` / `AGENT#<agent id>`, each agent's last
 * report as gzipped JSON (a report of 1 000 hosts is mostly repeated keys), replaced by its next
 * heartbeat; `AGENTS` / `KEY#<agent id>`, its registered public key. One partition: agents are
 * few (one per proxy machine).
 */
export class DynamoAgentReportRepository implements AgentReportRepository {
  constructor(private readonly table: DynamoTable) {}

  async put(report: StoredAgentReport): Promise<void> {
    const packed = gzipSync(JSON.stringify(report));
    if (packed.byteLength > MAX_STORED_BYTES) {
      throw new ValidationError("hosts: the report is too large to store; shorten the hosts' error texts");
    }
    await this.table.put({ pk: PARTITION, sk: `AGENT#${report.agent_id}`, report: packed });
  }

  async listAll(): Promise<StoredAgentReport[]> {
    const items = await this.table.queryAll<Item>({ partition: PARTITION, prefix: "AGENT#" });
    return items.map((item) => JSON.parse(gunzipSync(item["report"] as Uint8Array).toString("utf8")) as StoredAgentReport);
  }

  async getKey(agentId: string): Promise<AgentKey | undefined> {
    const item = await this.table.get<Item>({ pk: PARTITION, sk: `KEY#${agentId}` }, true);
    return item ? (JSON.parse(String(item["key"])) as AgentKey) : undefined;
  }

  async putKey(key: AgentKey, audit: AuditEntry): Promise<void> {
    await this.table.transact([
      { Put: { TableName: this.table.name, Item: { pk: PARTITION, sk: `KEY#${key.agent_id}`, key: JSON.stringify(key) } } },
      auditEntryPut(this.table.name, audit),
    ]);
  }
}

const PARTITION = "AGENTS";
