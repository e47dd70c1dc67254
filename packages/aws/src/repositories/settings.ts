import {
  ConcurrentModificationError,
  type AuditEntry,
  type Settings,
  type SettingsRepository,
  type StoredSettings,
} from "@charon/core";
import { TransactionConflict, type DynamoTable, type Item } from "../dynamodb/table.js";
import { auditEntryPut } from "./audit-entries.js";

/** Item: `SETTINGS` / `SETTINGS`, the settings with a `version` checked on every write. */
export class DynamoSettingsRepository implements SettingsRepository {
  constructor(private readonly table: DynamoTable) {}

  async get(): Promise<StoredSettings | undefined> {
    const item = await this.table.get<Item>(SETTINGS_KEY, true);
    if (!item) return undefined;
    const { pk: _pk, sk: _sk, version, ...settings } = item;
    return { settings: settings as unknown as Settings, version: Number(version) };
  }

  async put(settings: Settings, expectedVersion: number, audit: AuditEntry): Promise<StoredSettings> {
    const version = expectedVersion + 1;
    try {
      await this.table.transact([
        {
          Put: {
            TableName: this.table.name,
            Item: { ...SETTINGS_KEY, ...settings, version },
            ConditionExpression: expectedVersion === 0 ? "attribute_not_exists(pk)" : "version = :expected",
            ExpressionAttributeValues: expectedVersion === 0 ? undefined : { ":expected": expectedVersion },
          },
        },
        auditEntryPut(this.table.name, audit),
      ]);
    } catch (error) {
      if (error instanceof TransactionConflict) {
        throw new ConcurrentModificationError("Settings", "settings", { cause: error });
      }
      throw error;
    }
    return { settings, version };
  }
}

const SETTINGS_KEY = { pk: "SETTINGS", sk: "SETTINGS" };
