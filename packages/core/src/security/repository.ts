import type { Page, PageRequest } from "../ports/page.js";
import type { CrowdSecDecision, NewCrowdSecDecision } from "./crowdsec-decision.js";

export interface CrowdSecDecisionRepository {
  /** Stores a reported decision under a new id; it is forgotten after its `until`. */
  record(decision: NewCrowdSecDecision): Promise<CrowdSecDecision>;
  /** Stored decisions, lowest id first (expired ones may still be among them). */
  list(page: PageRequest): Promise<Page<CrowdSecDecision>>;
  /** The decisions that can concern `ip` (canonical): its `Ip` decisions and every `Range` decision. */
  listForAddress(ip: string): Promise<CrowdSecDecision[]>;
}
