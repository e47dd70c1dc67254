import { gunzipSync, gzipSync } from "node:zlib";
import { ValidationError, type AgentKey, type AgentReportRepository, type AuditEntry, type StoredAgentReport } from "@charon/core";
import type { DynamoTable, Item } from "../dynamodb/table.js";
import { auditEntryPut } from "./audit-entries.js";

/** DynamoDB's item limit is 400 KB; the rest of the item is a few bytes. */
const MAX_STORED_BYTES = 390_000;

/**
 * Items (packages/aws/README.md, "Agents"): `AGENTS` / `AGENT#<agent id>`, each agent's last
 * report (its part 1) as gzipped JSON (a report of 1 000 hosts is ~120 KB of mostly repeated keys,
 * ~9 KB gzipped), replaced by its next heartbeat, and `AGENT#<agent id>#<n>` its part n (an agent
 * id holds no `#`); `AGENTS` / `KEY#<agent id>`, its registered public key. One partition: agents are
 * few (one per proxy machine).
 */
export class DynamoAgentReportRepository implements AgentReportRepository {
  constructor(private readonly table: DynamoTable) {}

  async put(report: StoredAgentReport): Promise<void> {
    const packed = gzipSync(JSON.stringify(report));
    if (packed.byteLength > MAX_STORED_BYTES) {
      throw new ValidationError("hosts: the report is too large to store; shorten the hosts' error texts");
    }
    const sk = report.part === 1 ? `AGENT#${report.agent_id}` : `AGENT#${report.agent_id}#${report.part}`;
    await this.table.put({ pk: PARTITION, sk, report: packed });
  }

  async listAll(): Promise<StoredAgentReport[]> {
    const items = await this.table.queryAll<Item>({ partition: PARTITION, prefix: "AGENT#" });
    const byAgent = new Map<string, StoredAgentReport[]>();
    for (const item of items) {
      const report = JSON.parse(gunzipSync(item["report"] as Uint8Array).toString("utf8")) as StoredAgentReport;
      // Reports stored before parts were one part of one.
      const part = { ...report, part: report.part ?? 1, parts: report.parts ?? 1 };
      byAgent.set(part.agent_id, [...(byAgent.get(part.agent_id) ?? []), part]);
    }
    const whole: StoredAgentReport[] = [];
    for (const parts of byAgent.values()) {
      const first = parts.find((p) => p.part === 1);
      if (!first) continue;
      const rest = parts
        .filter((p) => p.part > 1 && p.part <= first.parts && p.applied_etag === first.applied_etag)
        .sort((a, b) => a.part - b.part);
      whole.push({ ...first, hosts: [first, ...rest].flatMap((p) => p.hosts), problems: [first, ...rest].flatMap((p) => p.problems) });
    }
    return whole;
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
