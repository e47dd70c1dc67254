import type { DesiredStateMark, DesiredStateVersion } from "@charon/core";
import { ConditionFailed, type DynamoTable } from "../dynamodb/table.js";
import { updateItem } from "./item-update.js";

/**
 * Item `AGENTS` / `DESIRED_STATE` (packages/aws/README.md): `version`, added to after every write
 * that changes what the agents' snapshot holds (a proxy host written or deleted, a certificate
 * issued, renewed or deleted), and the hash of the snapshot last built at a version
 * (`built_version`, `hash`, `built_at`). An agent's no-change poll reads this item and its key:
 * two small reads, not every host and certificate (decision 0022).
 */
export class DynamoDesiredStateVersion implements DesiredStateVersion {
  constructor(private readonly table: DynamoTable) {}

  async read(): Promise<DesiredStateMark> {
    const item = await this.table.get(DESIRED_STATE, true);
    const version = Number(item?.["version"] ?? 0);
    if (item?.["built_version"] === undefined) return { version, built: null };
    return { version, built: { version: Number(item["built_version"]), hash: String(item["hash"]), at: String(item["built_at"]) } };
  }

  async recordBuilt(version: number, hash: string, at: string): Promise<void> {
    try {
      await updateItem(this.table, DESIRED_STATE, {
        expression: "SET built_version = :version, #hash = :hash, built_at = :at",
        // Two polls building at once: the one that read the later version keeps its hash.
        condition: "attribute_not_exists(built_version) OR built_version <= :version",
        names: { "#hash": "hash" },
        values: { ":version": version, ":hash": hash, ":at": at },
      });
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
    }
  }
}

/**
 * Marks the desired state changed, after the write that changed it. Not part of the write's
 * transaction: every host write would then conflict with every other on this one item. A crash
 * (or failure) between the two leaves the mark behind for at most `SNAPSHOT_MARK_MAX_AGE_MS`,
 * after which the next poll rebuilds the snapshot anyway, so it is not an error of the write.
 */
export async function markDesiredStateChanged(table: DynamoTable): Promise<void> {
  await updateItem(table, DESIRED_STATE, { expression: "ADD #version :one", names: { "#version": "version" }, values: { ":one": 1 } }).catch(
    () => undefined,
  );
}

const DESIRED_STATE = { pk: "AGENTS", sk: "DESIRED_STATE" };
