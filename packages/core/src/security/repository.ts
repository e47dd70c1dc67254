import type { Page, PageRequest } from "../ports/page.js";
import type { ReportedDecision, CrowdSecDecision } from "./crowdsec-decision.js";

/** The CrowdSec decisions the proxy agents apply, as each agent last reported them. */
export interface CrowdSecDecisionRepository {
  /**
   * Makes `decisions` the ones stored for `agent`: adds the new, drops those it no longer
   * reports, writes nothing for the unchanged (a heartbeat usually changes nothing). Repeating
   * it is harmless; a decision is forgotten after its `until` even if no report drops it.
   */
  replaceForAgent(agent: string, decisions: readonly ReportedDecision[]): Promise<void>;
  /** Stored decisions, lowest id first (expired ones may still be among them). */
  list(page: PageRequest): Promise<Page<CrowdSecDecision>>;
  /** The decisions that can concern `ip` (canonical): its `Ip` decisions and every `Range` decision. */
  listForAddress(ip: string): Promise<CrowdSecDecision[]>;
}
