/**
 * Manage Credentials of one provider (multi-credential-dns.md, "Managing Credentials"): the list,
 * add/edit with the zone filter and the provider type's fields, test (saved or not yet saved),
 * enable/disable, rotation of the secret in place, and delete — a credential in use is refused
 * with a 409 whose affected domains are listed. Overlap warnings are shown after saving.
 */
import { useRoute } from "preact-iso";
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, must, type Schemas } from "../api/client.js";
import { useCan } from "../app.js";
import { Checkbox, Dialog, ErrorMessage, Field, fieldLabel, PageHead, percent, useLoad, when, Scroll } from "../ui.js";

type Credential = Schemas["Credential"];
type ProviderType = Schemas["DnsProviderType"];
type TestResult = Schemas["CredentialTestResult"];

/**
 * Every credential of the provider, page after page (500 at a time, the API's largest page), each
 * page shown as it arrives.
 */
export async function allCredentials(id: number, progress: (partial: Credential[]) => void = () => {}): Promise<Credential[]> {
  let all: Credential[] = [];
  let cursor: string | undefined;
  do {
    const page = await must(api.GET("/api/v1/dns-providers/{id}/credentials", { params: { path: { id }, query: { limit: 500, ...(cursor ? { cursor } : {}) } } }));
    all = [...all, ...page.credentials];
    cursor = page.next_cursor ?? undefined;
    if (cursor) progress(all);
  } while (cursor);
  return all;
}

/** Rows rendered at a time: all credentials are loaded (the filter searches them all), a page is drawn. */
const PAGE = 100;

export function Credentials() {
  const id = Number(useRoute().params.id);
  const mayWrite = useCan("dns_providers", "write");
  const provider = useLoad(async () => {
    const [provider, types] = await Promise.all([
      must(api.GET("/api/v1/dns-providers/{id}", { params: { path: { id } } })),
      must(api.GET("/api/v1/dns-providers/types")),
    ]);
    return { provider, type: types.types.find((t) => t.type === provider.acme_dns_provider) };
  }, [id]);
  const credentials = useLoad<Credential[]>((progress) => allCredentials(id, progress), [id]);
  const [editing, setEditing] = useState<Credential | "new">();
  const [rotating, setRotating] = useState<Credential>();
  const [deleting, setDeleting] = useState<Credential>();
  const [saved, setSaved] = useState<Schemas["SavedCredential"]>();
  const [tested, setTested] = useState<{ credential: Credential; result?: TestResult; error?: unknown }>();
  const [rowError, setRowError] = useState<unknown>();
  const [filter, setFilter] = useState("");
  const [shown, setShown] = useState(PAGE);
  const needle = filter.trim().toLowerCase();
  const visible = needle
    ? (credentials.data ?? []).filter((c) => c.name.toLowerCase().includes(needle) || c.zone_filter.toLowerCase().includes(needle))
    : (credentials.data ?? []);

  const toggle = async (credential: Credential) => {
    setRowError(undefined);
    try {
      setSaved(await must(api.PATCH("/api/v1/dns-providers/{id}/credentials/{credentialId}", { params: { path: { id, credentialId: credential.id } }, body: { enabled: !credential.enabled } })));
      credentials.reload();
    } catch (problem) {
      setRowError(problem);
    }
  };
  const test = async (credential: Credential) => {
    setTested({ credential });
    try {
      const result = await must(api.POST("/api/v1/dns-providers/{id}/credentials/{credentialId}/test", { params: { path: { id, credentialId: credential.id } } }));
      setTested({ credential, result });
      credentials.reload();
    } catch (error) {
      setTested({ credential, error });
    }
  };
  const name = provider.data?.provider.name ?? "…";
  return (
    <section>
      <PageHead title={`Credentials of ${name}`}>
        {mayWrite && provider.data?.type && <button type="button" onClick={() => setEditing("new")}>Add Credential</button>}
        <a class="button secondary" href={`/zone-matching?provider=${id}`}>Test zone matching</a>
      </PageHead>
      <ErrorMessage error={provider.error ?? credentials.error} />
      {saved && <SavedNotice saved={saved} />}
      <ErrorMessage error={rowError} />
      {tested && <TestOutcome {...tested} />}
      {credentials.loading && !credentials.data && <p role="status">Loading credentials…</p>}
      {credentials.data && credentials.data.length > PAGE && (
        <Field label="Filter credentials" value={filter} onInput={(value) => (setFilter(value), setShown(PAGE))} hint="Part of a name or a zone filter" spellcheck={false} autoCapitalize="none" />
      )}
      {credentials.data && (
        <Scroll label={`Credentials of ${name}`}>
          <table aria-label={`Credentials of ${name}`} aria-busy={credentials.loading ? "true" : "false"}>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Zone filter</th>
                <th scope="col">State</th>
                <th scope="col">Success rate</th>
                <th scope="col">Last used</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {visible.slice(0, shown).map((credential) => (
                <tr key={credential.id}>
                  <th scope="row">
                    {credential.name}
                    {credential.description && <div class="hint">{credential.description}</div>}
                  </th>
                  <td><code>{credential.zone_filter || "(catch-all)"}</code></td>
                  <td>{credential.enabled ? "Enabled" : "Disabled"}</td>
                  <td>{percent(credential.success_rate)}</td>
                  <td>{when(credential.last_used_at)}</td>
                  <td class="actions">
                    {mayWrite && (
                      <>
                        <button type="button" class="small" onClick={() => void test(credential)} aria-label={`Test ${credential.name}`}>Test</button>
                        <button type="button" class="small secondary" onClick={() => setEditing(credential)} aria-label={`Edit ${credential.name}`}>Edit</button>
                        <button type="button" class="small secondary" onClick={() => setRotating(credential)} aria-label={`Rotate ${credential.name}`}>Rotate</button>
                        <button type="button" class="small secondary" onClick={() => void toggle(credential)} aria-label={`${credential.enabled ? "Disable" : "Enable"} ${credential.name}`}>
                          {credential.enabled ? "Disable" : "Enable"}
                        </button>
                        <button type="button" class="small danger" onClick={() => setDeleting(credential)} aria-label={`Delete ${credential.name}`}>Delete</button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
      {credentials.data && (
        <div class="pager">
          <p role="status">
            Showing {Math.min(shown, visible.length)} of {visible.length} credentials{credentials.loading ? " (loading more…)" : ""}.
          </p>
          {visible.length > shown && (
            <button type="button" class="secondary" onClick={() => setShown(shown + PAGE)}>Show {Math.min(PAGE, visible.length - shown)} more</button>
          )}
        </div>
      )}
      {editing && provider.data?.type && (
        <CredentialForm
          providerId={id}
          type={provider.data.type}
          credential={editing === "new" ? undefined : editing}
          onClose={() => setEditing(undefined)}
          onSaved={(result) => {
            setEditing(undefined);
            setSaved(result);
            credentials.reload();
          }}
        />
      )}
      {rotating && provider.data?.type && (
        <CredentialForm
          providerId={id}
          type={provider.data.type}
          credential={rotating}
          secretsOnly
          onClose={() => setRotating(undefined)}
          onSaved={(result) => {
            setRotating(undefined);
            setSaved(result);
            credentials.reload();
          }}
        />
      )}
      {deleting && (
        <DeleteCredential
          providerId={id}
          credential={deleting}
          onClose={() => setDeleting(undefined)}
          onDeleted={() => {
            setDeleting(undefined);
            setSaved(undefined);
            credentials.reload();
          }}
        />
      )}
    </section>
  );
}

function SavedNotice({ saved }: { saved: Schemas["SavedCredential"] }) {
  return (
    <div class="notice" role="status">
      <p>Saved “{saved.name}”.</p>
      {saved.warnings.length > 0 && (
        <div class="warning">
          <p><strong>⚠️ Warnings</strong></p>
          <ul>{saved.warnings.map((warning, i) => <li key={i}>{warning.message}</li>)}</ul>
        </div>
      )}
      {saved.reassigned_domains.length > 0 && (
        <>
          <p>Names now served by another credential:</p>
          <ul>{saved.reassigned_domains.map((moved) => <li key={`${moved.certificate_id}-${moved.domain}`}>{moved.domain}</li>)}</ul>
        </>
      )}
    </div>
  );
}

function TestOutcome({ credential, result, error }: { credential: { name: string }; result?: TestResult | undefined; error?: unknown }) {
  if (error) return <ErrorMessage error={error} />;
  if (!result) return <p role="status">Testing “{credential.name}”…</p>;
  const mark = result.status === "success" ? "✅" : result.status === "warning" ? "⚠️" : "❌";
  return (
    <div class={`notice ${result.status}`} role="status">
      <p>{mark} {credential.name}: {result.message}</p>
      {result.details.accessible_zones && result.details.accessible_zones.length > 0 && <p>Zones it reaches: {result.details.accessible_zones.join(", ")}</p>}
      {result.details.missing_zones && result.details.missing_zones.length > 0 && <p>Zones of its filter it does not reach: {result.details.missing_zones.join(", ")}</p>}
      {result.details.error_message && <p>{result.details.error_message}</p>}
    </div>
  );
}

const FORM_FIELDS = ["name", "description", "zone_filter", "credentials", "enabled"] as const;

type ZoneFilterCheck = (input: string) => string | undefined;

/**
 * The server's own zone filter rules (`@charon/zones`, spec §2), loaded when a credential form
 * first opens: a separate chunk (the public-suffix list is most of it), so the first screen does
 * not carry it. Answers what the API's 400 would say (`details`), or undefined for a valid filter.
 */
function useZoneFilterCheck(): ZoneFilterCheck | undefined {
  const [check, setCheck] = useState<ZoneFilterCheck>();
  useEffect(() => {
    let open = true;
    // Without the rules (the chunk failed to load) the form still works: the server's 400 shows after saving.
    void import("@charon/zones").then(
      ({ parseZoneFilter }) => {
        if (open) setCheck(() => (input: string) => {
          const parsed = parseZoneFilter(input);
          return parsed.ok ? undefined : parsed.error.details;
        });
      },
      () => {},
    );
    return () => {
      open = false;
    };
  }, []);
  return check;
}

function CredentialForm({
  providerId,
  type,
  credential,
  secretsOnly = false,
  onClose,
  onSaved,
}: {
  providerId: number;
  type: ProviderType;
  credential: Credential | undefined;
  secretsOnly?: boolean;
  onClose: () => void;
  onSaved: (saved: Schemas["SavedCredential"]) => void;
}) {
  const [name, setName] = useState(credential?.name ?? "");
  const [description, setDescription] = useState(credential?.description ?? "");
  const [zoneFilter, setZoneFilter] = useState(credential?.zone_filter ?? "");
  const [enabled, setEnabled] = useState(credential?.enabled ?? true);
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>();
  const [tested, setTested] = useState<{ result?: TestResult; error?: unknown }>();
  const placed = error instanceof ApiError ? error.fieldOf(FORM_FIELDS) : undefined;
  const fieldError = (field: (typeof FORM_FIELDS)[number]) => (placed === field ? (error as ApiError).message : undefined);
  const given = Object.fromEntries(Object.entries(secrets).filter(([, value]) => value !== ""));
  const editing = credential !== undefined;
  const checkZoneFilter = useZoneFilterCheck();
  // A stored filter is only held to the syntax (the public-suffix list grows), so only a changed one is judged.
  const typedError = checkZoneFilter && zoneFilter !== credential?.zone_filter ? checkZoneFilter(zoneFilter) : undefined;
  // The server's verdict on a zone filter holds for the text it judged, not for what was typed since.
  const [judged, setJudged] = useState<string>();
  const serverZoneFilterError = judged === zoneFilter ? fieldError("zone_filter") : undefined;

  const body = () => ({
    ...(secretsOnly ? {} : { name, description: description || null, zone_filter: zoneFilter, enabled }),
    ...(Object.keys(given).length > 0 || !editing ? { credentials: given } : {}),
  });
  const save = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    setJudged(zoneFilter);
    try {
      const saved = editing
        ? await must(api.PATCH("/api/v1/dns-providers/{id}/credentials/{credentialId}", { params: { path: { id: providerId, credentialId: credential.id } }, body: body() }))
        : await must(api.POST("/api/v1/dns-providers/{id}/credentials", { params: { path: { id: providerId } }, body: body() as Schemas["CredentialCreate"] }));
      onSaved(saved);
    } catch (problem) {
      setError(problem);
    }
  };
  // "Click Test Credential before saving": an unsaved credential is tested with what the form holds.
  const test = async () => {
    setTested({});
    try {
      const result =
        editing && Object.keys(given).length === 0
          ? await must(api.POST("/api/v1/dns-providers/{id}/credentials/{credentialId}/test", { params: { path: { id: providerId, credentialId: credential.id } } }))
          : await must(api.POST("/api/v1/dns-providers/{id}/credentials/test", { params: { path: { id: providerId } }, body: { ...body(), credentials: given } as Schemas["UnsavedCredentialTest"] }));
      setTested({ result });
    } catch (problem) {
      setTested({ error: problem });
    }
  };
  const title = secretsOnly ? `Rotate the secret of ${credential?.name}` : editing ? `Edit ${credential.name}` : "Add Credential";
  return (
    <Dialog title={title} onClose={onClose}>
      <form onSubmit={save}>
        {!secretsOnly && (
          <>
            <Field label="Credential Name" value={name} onInput={setName} error={fieldError("name")} required />
            <Field label="Description (optional)" value={description} onInput={setDescription} error={fieldError("description")} />
            <Field
              label="Zone Filter"
              value={zoneFilter}
              onInput={setZoneFilter}
              error={serverZoneFilterError ?? typedError}
              spellcheck={false}
              autoCapitalize="none"
              hint="Comma-separated, no spaces: example.com,*.customer-a.com. Empty: the catch-all for every other domain."
            />
            <Checkbox label="Enabled" checked={enabled} onChange={setEnabled} />
          </>
        )}
        <fieldset>
          <legend>{type.label} API credentials{editing && !secretsOnly ? " (leave empty to keep the stored ones)" : ""}</legend>
          {type.fields.map((field) => (
            <Field
              key={field.name}
              label={`${fieldLabel(field.name)}${field.required ? "" : " (optional)"}`}
              hint={field.description}
              type={field.secret ? "password" : "text"}
              autoComplete="off"
              value={secrets[field.name] ?? ""}
              onInput={(value) => setSecrets({ ...secrets, [field.name]: value })}
              placeholder={editing && field.secret ? "set" : undefined}
            />
          ))}
          {fieldError("credentials") && <p class="field-error" role="alert">{fieldError("credentials")}</p>}
        </fieldset>
        {error !== undefined && !placed && <ErrorMessage error={error} />}
        {tested && <TestOutcome credential={{ name: name || "this credential" }} {...tested} />}
        <div class="actions">
          <button type="submit">{secretsOnly ? "Rotate" : editing ? "Save Changes" : "Save Credential"}</button>
          <button type="button" class="secondary" onClick={() => void test()}>Test Credential</button>
          <button type="button" class="secondary" onClick={onClose}>Cancel</button>
        </div>
      </form>
    </Dialog>
  );
}

function DeleteCredential({ providerId, credential, onClose, onDeleted }: { providerId: number; credential: Credential; onClose: () => void; onDeleted: () => void }) {
  const [error, setError] = useState<ApiError | unknown>();
  const remove = async () => {
    try {
      await must(api.DELETE("/api/v1/dns-providers/{id}/credentials/{credentialId}", { params: { path: { id: providerId, credentialId: credential.id } } }));
      onDeleted();
    } catch (problem) {
      setError(problem);
    }
  };
  const affected = error instanceof ApiError && Array.isArray(error.body.affected_domains) ? (error.body.affected_domains as string[]) : undefined;
  return (
    <Dialog title={`Delete ${credential.name}?`} onClose={onClose}>
      {affected ? (
        <div class="error" role="alert">
          <p>{error instanceof ApiError && error.body.error}</p>
          <p>Move these names to another credential first:</p>
          <ul aria-label="Affected domains">{affected.map((domain) => <li key={domain}>{domain}</li>)}</ul>
        </div>
      ) : (
        <>
          <p>Certificates whose names use this credential could not be renewed without it.</p>
          <ErrorMessage error={error} />
        </>
      )}
      <div class="actions">
        {!affected && <button type="button" class="danger" onClick={() => void remove()}>Delete</button>}
        <button type="button" class="secondary" onClick={onClose}>{affected ? "Close" : "Cancel"}</button>
      </div>
    </Dialog>
  );
}
