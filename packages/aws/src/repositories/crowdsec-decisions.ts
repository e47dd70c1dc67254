import {
  canonicalAddress,
  type CrowdSecDecision,
  type CrowdSecDecisionRepository,
  type NewCrowdSecDecision,
  type Page,
  type PageRequest,
} from "@charon/core";
import type { DynamoTable, Item } from "../dynamodb/table.js";
import { tableSchema } from "../dynamodb/schema.js";
import { sortableId } from "../dynamodb/sortable-id.js";

/**
 * Items (packages/aws/README.md, "CrowdSec decisions"): one per decision, partitioned by what an
 * address lookup needs — `CROWDSEC#IP#<address>` for `Ip` decisions, `CROWDSEC#RANGES` for
 * `Range` decisions, `CROWDSEC#OTHER` for every other scope — with sort key `DECISION#<id>`;
 * gsi1 `CROWDSEC#DECISIONS` / `DECISION#<id>` lists them all. The TTL attribute removes a
 * decision after its `until`.
 */
export class DynamoCrowdSecDecisionRepository implements CrowdSecDecisionRepository {
  constructor(private readonly table: DynamoTable) {}

  async record(decision: NewCrowdSecDecision): Promise<CrowdSecDecision> {
    const id = await this.table.nextId("crowdsec-decision");
    const stored: CrowdSecDecision = { ...decision, id };
    const sortKey = `DECISION#${sortableId(id)}`;
    await this.table.put({
      pk: partitionOf(stored),
      sk: sortKey,
      gsi1pk: ALL_DECISIONS,
      gsi1sk: sortKey,
      [tableSchema.ttlAttribute]: Math.ceil(Date.parse(stored.until) / 1000),
      ...stored,
    });
    return stored;
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
