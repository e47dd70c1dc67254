import type { CrowdSecDecision, NewCrowdSecDecision } from "./crowdsec-decision.js";

export interface CrowdSecDecisionRepository {
  /** Stores a reported decision under a new id; it is forgotten after its `until`. */
  record(decision: NewCrowdSecDecision): Promise<CrowdSecDecision>;
  /** Every stored decision (expired ones may still be among them). */
  list(): Promise<CrowdSecDecision[]>;
  /** The decisions that can concern `ip`: its `Ip` decisions and every `Range` decision. */
  listForAddress(ip: string): Promise<CrowdSecDecision[]>;
}
