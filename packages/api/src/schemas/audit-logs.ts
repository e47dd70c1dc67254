import { z } from "@hono/zod-openapi";
import type { AuditEntry } from "@charon/core";
import { cursorParameter, idParameter, integerQuery } from "./common.js";
import { visibleControlCharacters } from "./strings.js";

// RFC 3339, as the entries' own timestamps: Date.parse would also take "2026" or "Jan 4 2026".
const isoTime = (name: string) =>
  z.iso
    .datetime({ offset: true, error: "must be an ISO 8601 time such as 2026-01-04T15:30:00Z" })
    .transform((value) => new Date(value).toISOString())
    .optional()
    .openapi({ param: { name, in: "query" }, type: "string", format: "date-time" });

export const AuditLogQuerySchema = z.strictObject({
  action: z.string().max(64).optional().openapi({ example: "credential_created" }),
  provider: z.string().max(64).optional().openapi({ description: "Provider type", example: "cloudflare" }),
  provider_id: idParameter("provider_id", "query", 1).optional(),
  user: z.string().max(256).optional(),
  resource_type: z.string().max(64).optional().openapi({ example: "dns_credential" }),
  resource_id: z.string().max(64).optional(),
  from: isoTime("from"),
  to: isoTime("to"),
  limit: integerQuery("limit", { min: 1, max: 1000 }, 100, "Entries per page"),
  cursor: cursorParameter("`next_cursor` of the previous page, or an export's `X-Next-Cursor`"),
  format: z.enum(["csv", "json"]).optional().openapi({ description: "Export instead of a page: every matching entry (up to 10 000) as a file" }),
});

export const AuditLogEntrySchema = z
  .object({
    timestamp: z.string(),
    action: z.string(),
    resource_type: z.string(),
    resource_id: z.union([z.number(), z.string()]),
    resource_name: z.string().nullable(),
    provider: z.string().nullable(),
    zone_filter: z.string().nullable(),
    user: z.string(),
    ip_address: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .openapi("AuditLogEntry");

export const AuditLogPageSchema = z
  .object({ audit_logs: z.array(AuditLogEntrySchema), next_cursor: z.string().nullable() })
  .openapi("AuditLogPage");

export type AuditLogEntryBody = z.infer<typeof AuditLogEntrySchema>;

export function auditEntryBody(entry: AuditEntry): AuditLogEntryBody {
  return {
    timestamp: entry.timestamp,
    action: entry.action,
    resource_type: entry.resourceType,
    resource_id: entry.resourceId,
    resource_name: entry.resourceName,
    provider: entry.provider,
    zone_filter: entry.zoneFilter,
    user: entry.user,
    ip_address: entry.ipAddress,
    details: entry.details,
  };
}

const CSV_COLUMNS = [
  "timestamp",
  "action",
  "resource_type",
  "resource_id",
  "resource_name",
  "provider",
  "zone_filter",
  "user",
  "ip_address",
  "details",
] as const;

/** RFC 4180: a header row, CRLF line ends, fields quoted when they hold a comma, quote or line break. */
export function auditEntriesCsv(entries: readonly AuditLogEntryBody[]): string {
  const rows = entries.map((entry) =>
    CSV_COLUMNS.map((column) => {
      const value = entry[column];
      return csvField(value === null ? "" : typeof value === "object" ? JSON.stringify(value) : String(value));
    }).join(","),
  );
  return [CSV_COLUMNS.join(","), ...rows].join("\r\n") + "\r\n";
}

function csvField(raw: string): string {
  const text = visibleControlCharacters(raw);
  // A spreadsheet would run a cell starting with = + - @ as a formula; a leading ' keeps it text.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
