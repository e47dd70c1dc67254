/**
 * The audit log (multi-credential-dns.md, "Audit Trail"): filters by action, credential, provider,
 * actor and date range, a page at a time, and the same selection exported as CSV or JSON.
 */
import { useState } from "preact/hooks";
import { api, ApiError, must, type Schemas } from "../api/client.js";
import { ErrorMessage, Field, PageHead, useLoad, when, Scroll } from "../ui.js";

interface Filters {
  action: string;
  resource_id: string;
  provider: string;
  user: string;
  from: string;
  to: string;
}

const EMPTY: Filters = { action: "", resource_id: "", provider: "", user: "", from: "", to: "" };
const FIELDS = ["action", "resource_id", "provider", "user", "from", "to", "cursor"] as const;

/** The API's query for the filters: dates as the start of the `from` day and the end of the `to` day (UTC). */
function queryOf(filters: Filters): Record<string, string> {
  const query: Record<string, string> = {};
  if (filters.action) query.action = filters.action.trim();
  if (filters.resource_id) Object.assign(query, { resource_type: "dns_credential", resource_id: filters.resource_id.trim() });
  if (filters.provider) query.provider = filters.provider.trim();
  if (filters.user) query.user = filters.user.trim();
  if (filters.from) query.from = `${filters.from}T00:00:00Z`;
  if (filters.to) query.to = `${filters.to}T23:59:59.999Z`;
  return query;
}

export function AuditLog() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  // The cursors of the pages before the current one, to step back.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(
    // Without `format` the answer is a page (the export is a file: the links above).
    async () => (await must(api.GET("/api/v1/audit-logs", { params: { query: { ...queryOf(applied), limit: 50, ...(cursor ? { cursor } : {}) } } }))) as Schemas["AuditLogPage"],
    [applied, cursor],
  );
  const placed = page.error instanceof ApiError ? page.error.fieldOf(FIELDS) : undefined;
  const fieldError = (field: keyof Filters) => (placed === field ? (page.error as ApiError).message : undefined);
  const set = (field: keyof Filters) => (value: string) => setDraft({ ...draft, [field]: value });
  const exportUrl = (format: "csv" | "json") => `/api/v1/audit-logs?${new URLSearchParams({ ...queryOf(applied), format })}`;
  return (
    <section>
      <PageHead title="Audit log">
        <a class="button secondary" href={exportUrl("csv")} download="audit-log.csv">Export CSV</a>
        <a class="button secondary" href={exportUrl("json")} download="audit-log.json">Export JSON</a>
      </PageHead>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          setCursors([]);
          setApplied(draft);
        }}
      >
        <Field label="Action" value={draft.action} onInput={set("action")} error={fieldError("action")} placeholder="credential_created" />
        <Field label="Credential ID" value={draft.resource_id} onInput={set("resource_id")} error={fieldError("resource_id")} inputMode="numeric" />
        <Field label="Provider type" value={draft.provider} onInput={set("provider")} error={fieldError("provider")} placeholder="cloudflare" />
        <Field label="Actor" value={draft.user} onInput={set("user")} error={fieldError("user")} placeholder="token:1" />
        <Field label="From" type="date" value={draft.from} onInput={set("from")} error={fieldError("from")} />
        <Field label="To" type="date" value={draft.to} onInput={set("to")} error={fieldError("to")} />
        <div class="actions">
          <button type="submit">Apply filters</button>
          <button type="button" class="secondary" onClick={() => (setDraft(EMPTY), setCursors([]), setApplied(EMPTY))}>Clear</button>
        </div>
      </form>
      {!placed && <ErrorMessage error={page.error} />}
      {page.data && <Entries entries={page.data.audit_logs} />}
      <nav class="pager" aria-label="Audit log pages">
        <button type="button" class="secondary" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>Previous page</button>
        <button type="button" class="secondary" disabled={!page.data?.next_cursor} onClick={() => page.data?.next_cursor && setCursors([...cursors, page.data.next_cursor])}>
          Next page
        </button>
      </nav>
    </section>
  );
}

function Entries({ entries }: { entries: Schemas["AuditLogEntry"][] }) {
  if (entries.length === 0) return <p>No entries match.</p>;
  return (
    <Scroll label="Audit log entries">
      <table aria-label="Audit log entries">
        <thead>
          <tr><th scope="col">Time</th><th scope="col">Action</th><th scope="col">Resource</th><th scope="col">Actor</th><th scope="col">Address</th><th scope="col">Details</th></tr>
        </thead>
        <tbody>
          {entries.map((entry, i) => (
            <tr key={`${entry.timestamp}-${i}`}>
              <td>{when(entry.timestamp)}</td>
              <td>{entry.action}</td>
              <td>{entry.resource_type} #{entry.resource_id}{entry.resource_name ? ` ${entry.resource_name}` : ""}</td>
              <td>{entry.user}</td>
              <td>{entry.ip_address ?? ""}</td>
              <td><code class="details">{JSON.stringify(entry.details)}</code></td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
}
