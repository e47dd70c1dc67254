import type { AuditEntry } from "../audit/entry.js";
import type { AgentKey, StoredAgentReport } from "./agent.js";

/** The last report of each agent (a heartbeat replaces the agent's previous one) and its key. */
export interface AgentReportRepository {
  /** Stores one part of a report, replacing that part of the agent's previous one. */
  put(report: StoredAgentReport): Promise<void>;
  /**
   * Every agent's last report, whole: part 1 with the hosts and problems of each other part up to
   * its `parts` that has the same `applied_etag` (a part of another report is left out).
   */
  listAll(): Promise<StoredAgentReport[]>;
  getKey(agentId: string): Promise<AgentKey | undefined>;
  /** Stores the key and its audit entry together (one transaction). */
  putKey(key: AgentKey, audit: AuditEntry): Promise<void>;
}
