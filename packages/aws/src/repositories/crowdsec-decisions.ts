import {
  canonicalAddress,
  type CrowdSecDecisionRepository,
  type Page,
  type PageRequest,
  type ReportedDecision,
  type CrowdSecDecision,
} from "@charon/core";
import type { DynamoTable, Item } from "../dynamodb/table.js";
import { tableSchema } from "../dynamodb/schema.js";
import { sortableId } from "../dynamodb/sortable-id.js";

/**
 * Items (packages/aws/README.md, "CrowdSec decisions"): one per decision and reporting agent,
 * partitioned by what an address lookup needs — `CROWDSEC#IP#<address>` for `Ip` decisions,
 * `CROWDSEC#RANGES` for `Range` decisions, `CROWDSEC#OTHER` for every other scope — with sort key
 * `DECISION#<Local API id>#<agent>`; gsi1 `CROWDSEC#DECISIONS` lists them all, gsi2
 * `CROWDSEC#AGENT#<agent>` an agent's own (what a report replaces). The TTL attribute removes a
 * decision after its `until`.
 */
export class DynamoCrowdSecDecisionRepository implements CrowdSecDecisionRepository {
  constructor(private readonly table: DynamoTable) {}

  async replaceForAgent(agent: string, decisions: readonly ReportedDecision[]): Promise<void> {
    const stored = await this.table.queryAll<Item>({ partition: `${AGENT_PARTITION}${agent}`, index: "gsi2" });
    const wanted = new Map(decisions.map((d) => [identity(toItem({ ...d, agent })), toItem({ ...d, agent })]));
    // New and changed ones first: a crash between the two steps leaves a decision listed twice
    // for a moment, never one missing; the next report finishes the job.
    const have = new Map(stored.map((item) => [identity(item), item]));
    for (const [key, item] of wanted) {
      if (!sameDecision(have.get(key), item)) await this.table.put(item);
    }
    for (const [key, item] of have) {
      if (!wanted.has(key)) await this.table.delete({ pk: String(item["pk"]), sk: String(item["sk"]) });
    }
  }

  async list(page: PageRequest): Promise<Page<CrowdSecDecision>> {
    return this.table.queryPage({ partition: ALL_DECISIONS, index: "gsi1", ...page }, fromItem);
  }

  async listForAddress(ip: string): Promise<CrowdSecDecision[]> {
    const [exact, ranges] = await Promise.all([
      this.table.queryAll<Item>({ partition: `CROWDSEC#IP#${ip}`, prefix: "DECISION#" }),
      this.table.queryAll<Item>({ partition: "CROWDSEC#RANGES", prefix: "DECISION#" }),
    ]);
    return [...exact, ...ranges].map(fromItem);
  }
}

const ALL_DECISIONS = "CROWDSEC#DECISIONS";
const AGENT_PARTITION = "CROWDSEC#AGENT#";
const FIELDS = ["id", "origin", "scope", "value", "type", "scenario", "duration", "until", "agent"] as const;

function toItem(decision: CrowdSecDecision): Item {
  const sortKey = `DECISION#${sortableId(decision.id)}#${decision.agent}`;
  return {
    pk: partitionOf(decision),
    sk: sortKey,
    gsi1pk: ALL_DECISIONS,
    gsi1sk: sortKey,
    gsi2pk: `${AGENT_PARTITION}${decision.agent}`,
    gsi2sk: sortKey,
    [tableSchema.ttlAttribute]: Math.ceil(Date.parse(decision.until) / 1000),
    ...Object.fromEntries(FIELDS.map((field) => [field, decision[field]])),
  };
}

/** The item's key: a decision whose value moved to another partition is another item. */
function identity(item: Item): string {
  return `${String(item["pk"])} ${String(item["sk"])}`;
}

function sameDecision(stored: Item | undefined, wanted: Item): boolean {
  return stored !== undefined && FIELDS.every((field) => String(stored[field]) === String(wanted[field]));
}

function partitionOf(decision: CrowdSecDecision): string {
  const scope = decision.scope.toLowerCase();
  if (scope === "ip") return `CROWDSEC#IP#${canonicalAddress(decision.value)}`;
  return scope === "range" ? "CROWDSEC#RANGES" : "CROWDSEC#OTHER";
}

function fromItem(item: Item): CrowdSecDecision {
  return {
    id: Number(item["id"]),
    origin: String(item["origin"]),
    scope: String(item["scope"]),
    value: String(item["value"]),
    type: String(item["type"]),
    scenario: String(item["scenario"]),
    duration: String(item["duration"]),
    until: String(item["until"]),
    agent: String(item["agent"]),
  };
}
