import type { AuditEntry } from "../audit/entry.js";
import type { AgentKey, StoredAgentReport } from "./agent.js";

/** The last report of each agent (a heartbeat replaces the agent's previous one) and its key. */
export interface AgentReportRepository {
  put(report: StoredAgentReport): Promise<void>;
  /** Every agent's last report, by agent id. */
  listAll(): Promise<StoredAgentReport[]>;
  getKey(agentId: string): Promise<AgentKey | undefined>;
  /** Stores the key and its audit entry together (one transaction). */
  putKey(key: AgentKey, audit: AuditEntry): Promise<void>;
}
