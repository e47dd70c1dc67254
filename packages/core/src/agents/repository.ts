import type { StoredAgentReport } from "./agent.js";

/** The last report of each agent (a heartbeat replaces the agent's previous one). */
export interface AgentReportRepository {
  put(report: StoredAgentReport): Promise<void>;
  /** Every agent's last report, by agent id. */
  listAll(): Promise<StoredAgentReport[]>;
}
