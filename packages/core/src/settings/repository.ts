import type { AuditEntry } from "../audit/entry.js";
import type { Settings, StoredSettings } from "./settings.js";

export interface SettingsRepository {
  /** The stored settings, or undefined before the first change. */
  get(): Promise<StoredSettings | undefined>;
  /** Writes if the stored version is still `expectedVersion` (ConcurrentModificationError if not). */
  put(settings: Settings, expectedVersion: number, audit: AuditEntry): Promise<StoredSettings>;
}
