import type { AuditLogService, TokenService } from "@charon/core";
import { protectedRoute, routeGroup } from "../routing.js";
import {
  AuditLogEntrySchema,
  AuditLogPageSchema,
  AuditLogQuerySchema,
  auditEntriesCsv,
  auditEntryBody,
} from "../schemas/audit-logs.js";
import { z } from "@hono/zod-openapi";

/** An export reads at most this many entries; `X-Next-Cursor` continues it. */
export const MAX_EXPORT_ENTRIES = 10_000;
const EXPORT_PAGE = 1000;
/** And at most this many pages, each a bounded number of reads: a sparse export stops early too. */
const MAX_EXPORT_PAGES = MAX_EXPORT_ENTRIES / EXPORT_PAGE;

export function auditLogRoutes(tokens: TokenService, auditLog: AuditLogService) {
  const list = protectedRoute(tokens, { resource: "audit", access: "read" }, {
    method: "get",
    path: "/v1/audit-logs",
    summary: "Audit trail: filter, page, or export as CSV or JSON",
    description:
      "Newest first. Filters combine; without `from` the last 90 days are read. A page is a bounded number of reads whatever the range and filters: over a sparse range or a rare filter it can come back short or empty with a `next_cursor` that carries on. `format=csv|json` returns the matching entries as a download, up to 10 000 and as far as ten pages of 1 000 reach; `X-Next-Cursor` continues it.",
    tags: ["Audit"],
    request: { query: AuditLogQuerySchema },
    responses: {
      200: {
        description: "A page of entries, or the export",
        content: {
          "application/json": { schema: z.union([AuditLogPageSchema, z.array(AuditLogEntrySchema)]) },
          "text/csv": { schema: z.string() },
        },
      },
    },
  });

  return routeGroup().openapi(list, async (c) => {
    const { limit, cursor, format, provider_id, resource_type, resource_id, ...rest } = c.req.valid("query");
    const filter = { ...rest, providerId: provider_id, resourceType: resource_type, resourceId: resource_id };
    // Aborted when the client disconnects (Node server): the reads stop with it.
    const signal = c.req.raw.signal;
    if (format === undefined) {
      const page = await auditLog.list(filter, { limit, cursor }, signal);
      return c.json({ audit_logs: page.items.map(auditEntryBody), next_cursor: page.cursor ?? null }, 200);
    }
    const entries = [];
    let next = cursor;
    let pages = 0;
    do {
      const page = await auditLog.list(filter, { limit: Math.min(EXPORT_PAGE, MAX_EXPORT_ENTRIES - entries.length), cursor: next }, signal);
      entries.push(...page.items.map(auditEntryBody));
      next = page.cursor;
      pages++;
    } while (next !== undefined && entries.length < MAX_EXPORT_ENTRIES && pages < MAX_EXPORT_PAGES);
    if (next !== undefined) c.header("X-Next-Cursor", next);
    c.header("Content-Disposition", `attachment; filename="audit-logs.${format}"`);
    if (format === "json") return c.json(entries, 200);
    return c.body(auditEntriesCsv(entries), 200, { "Content-Type": "text/csv; charset=utf-8" });
  });
}
