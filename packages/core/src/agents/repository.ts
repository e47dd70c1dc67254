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

/** Where the desired state's version stands, and the snapshot last built (its hash) at which version. */
export interface DesiredStateMark {
  version: number;
  built: { version: number; hash: string; at: string } | null;
}

/**
 * The desired state's version: added to by every write that changes the agents' snapshot, after
 * the write (so a crash between them can leave it behind: SNAPSHOT_MARK_MAX_AGE_MS bounds that).
 */
export interface DesiredStateVersion {
  read(): Promise<DesiredStateMark>;
  /** Records the hash of the snapshot built after reading `version` (a later version's record is kept). */
  recordBuilt(version: number, hash: string, at: string): Promise<void>;
}
