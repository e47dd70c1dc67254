import { auditEntry, type Actor } from "../audit/entry.js";
import { ConflictError, ValidationError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { SettingsRepository } from "./repository.js";
import { defaultSettings, type Settings, type SettingsPatch } from "./settings.js";

export class SettingsService {
  constructor(
    private readonly settings: SettingsRepository,
    private readonly clock: Clock,
  ) {}

  async get(): Promise<Settings> {
    return (await this.settings.get())?.settings ?? defaultSettings;
  }

  /**
   * Partial update; ranges are the schema's, the rules across fields are checked here. A patch
   * that names no setting is a ValidationError: there is nothing to change or to audit.
   */
  async update(actor: Actor, patch: SettingsPatch): Promise<Settings> {
    if (Object.keys(patch).length === 0) {
      throw new ValidationError("Nothing to change: give at least one setting (a PUT changes only the fields it names)");
    }
    const stored = await this.settings.get();
    const now = this.clock.now();
    const next: Settings = { ...(stored?.settings ?? defaultSettings), ...patch, modified_on: now.toISOString() };
    if (next.dns_polling_interval_seconds >= next.dns_propagation_timeout_seconds) {
      const message = `dns_polling_interval_seconds: must be less than dns_propagation_timeout_seconds (${next.dns_propagation_timeout_seconds})`;
      // Both in the request: its own contradiction (the document states the rule). One of them:
      // the request is sound, the stored value is what it conflicts with.
      const both = patch.dns_polling_interval_seconds !== undefined && patch.dns_propagation_timeout_seconds !== undefined;
      if (both) throw new ValidationError(message);
      throw new ConflictError(`${message}, the stored value: change both in one request`);
    }
    const audit = auditEntry(actor, now, {
      action: "settings_updated",
      resourceType: "settings",
      resourceId: "settings",
      resourceName: null,
      provider: null,
      zoneFilter: null,
      details: { changed_fields: Object.keys(patch) },
    });
    return (await this.settings.put(next, stored?.version ?? 0, audit)).settings;
  }
}
