/**
 * Settings → DNS Providers (multi-credential-dns.md): each provider with its multi-credential
 * state, the enable/disable dialogs with the document's migration text, and adding a provider of
 * any supported type with that type's fields (`GET …/dns-providers/types`).
 */
import { useState } from "preact/hooks";
import { api, ApiError, must, type Schemas } from "../api/client.js";
import { useCan } from "../app.js";
import { Dialog, ErrorMessage, Field, fieldLabel, PageHead, Select, useLoad } from "../ui.js";

type Provider = Schemas["DnsProvider"];
type ProviderType = Schemas["DnsProviderType"];

export function DnsProviders() {
  const mayWrite = useCan("dns_providers", "write");
  const providers = useLoad(() => must(api.GET("/api/v1/dns-providers", { params: { query: { limit: 500 } } })));
  const types = useLoad(() => must(api.GET("/api/v1/dns-providers/types")));
  const [adding, setAdding] = useState(false);
  const [changing, setChanging] = useState<{ provider: Provider; to: "enable" | "disable" }>();
  const [notice, setNotice] = useState<string>();
  return (
    <section>
      <PageHead title="DNS providers">
        {mayWrite && types.data && <button type="button" onClick={() => setAdding(true)}>Add DNS provider</button>}
      </PageHead>
      {notice && <p class="notice" role="status">{notice}</p>}
      <ErrorMessage error={providers.error} />
      {providers.data && providers.data.length === 0 && <p>No DNS providers yet.</p>}
      <ul class="cards">
        {providers.data?.map((provider) => (
          <li key={provider.id} class="card">
            <h2>{provider.name}</h2>
            <p>
              {types.data?.types.find((t) => t.type === provider.acme_dns_provider)?.label ?? provider.acme_dns_provider} ·{" "}
              <strong>Multi-Credential Mode: {provider.multi_credential_enabled ? "Enabled" : "Disabled"}</strong>
              {provider.multi_credential_enabled && ` · ${provider.credential_count} credential${provider.credential_count === 1 ? "" : "s"}`}
            </p>
            <div class="actions">
              {provider.multi_credential_enabled && <a class="button" href={`/dns-providers/${provider.id}/credentials`}>Manage Credentials</a>}
              <a class="button secondary" href={`/zone-matching?provider=${provider.id}`}>Test zone matching</a>
              {mayWrite &&
                (provider.multi_credential_enabled ? (
                  <button type="button" class="secondary" onClick={() => setChanging({ provider, to: "disable" })}>Disable Multi-Credential</button>
                ) : (
                  <button type="button" onClick={() => setChanging({ provider, to: "enable" })}>Enable Multi-Credential</button>
                ))}
            </div>
          </li>
        ))}
      </ul>
      {changing && (
        <ModeDialog
          provider={changing.provider}
          to={changing.to}
          onClose={() => setChanging(undefined)}
          onDone={(message) => {
            setChanging(undefined);
            setNotice(message);
            providers.reload();
          }}
        />
      )}
      {adding && types.data && (
        <AddProvider
          types={types.data.types}
          onClose={() => setAdding(false)}
          onDone={() => {
            setAdding(false);
            providers.reload();
          }}
        />
      )}
    </section>
  );
}

function ModeDialog({ provider, to, onClose, onDone }: { provider: Provider; to: "enable" | "disable"; onClose: () => void; onDone: (message: string) => void }) {
  const [error, setError] = useState<unknown>();
  const confirm = async () => {
    try {
      const params = { path: { id: provider.id } };
      if (to === "enable") {
        const result = await must(api.POST("/api/v1/dns-providers/{id}/enable-multi-credential", { params }));
        const migrated = result.migrated_credential;
        onDone(
          migrated
            ? `Multi-credential mode enabled for ${provider.name}: your existing credential is now “${migrated.name}”, with no zone filter (catch-all).`
            : `Multi-credential mode enabled for ${provider.name}.`,
        );
      } else {
        await must(api.POST("/api/v1/dns-providers/{id}/disable-multi-credential", { params }));
        onDone(`Multi-credential mode disabled for ${provider.name}: its first credential is the provider's credential again.`);
      }
    } catch (problem) {
      setError(problem);
    }
  };
  return (
    <Dialog title={`${to === "enable" ? "Enable" : "Disable"} Multi-Credential for ${provider.name}`} onClose={onClose}>
      {to === "enable" ? (
        <div class="warning">
          <p><strong>⚠️ IMPORTANT: This action will:</strong></p>
          <ul>
            <li>Convert your existing provider credential into a “catch-all” credential</li>
            <li>Preserve all existing proxy host configurations</li>
            <li>Enable credential management UI for this provider</li>
            <li>This change is reversible (you can disable and revert)</li>
          </ul>
        </div>
      ) : (
        <div class="warning">
          <p><strong>⚠️ Disabling multi-credential mode will:</strong></p>
          <ul>
            <li>Convert the first credential back to the provider's primary credential</li>
            <li>Keep the other credentials stored, but they won't be used</li>
            <li>Let you re-enable multi-credential mode at any time without data loss</li>
          </ul>
        </div>
      )}
      <ErrorMessage error={error} />
      <div class="actions">
        <button type="button" onClick={() => void confirm()}>{to === "enable" ? "Enable" : "Disable"}</button>
        <button type="button" class="secondary" onClick={onClose}>Cancel</button>
      </div>
    </Dialog>
  );
}

function AddProvider({ types, onClose, onDone }: { types: ProviderType[]; onClose: () => void; onDone: () => void }) {
  const [type, setType] = useState(types[0]!.type);
  const [name, setName] = useState("");
  const [meta, setMeta] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError | unknown>();
  const chosen = types.find((t) => t.type === type)!;
  const fields = ["name", "acme_dns_provider", "meta"];
  const fieldError = (field: string) => (error instanceof ApiError && error.fieldOf(fields) === field ? error.message : undefined);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    const filled = Object.fromEntries(Object.entries(meta).filter(([key, value]) => value !== "" && chosen.fields.some((f) => f.env_name === key)));
    try {
      await must(api.POST("/api/v1/dns-providers", { body: { name, acme_dns_provider: type, meta: filled } as never }));
      onDone();
    } catch (problem) {
      setError(problem);
    }
  };
  const unplaced = error instanceof ApiError && !error.fieldOf(fields) ? error : !(error instanceof ApiError) ? error : undefined;
  return (
    <Dialog title="Add DNS provider" onClose={onClose}>
      <form onSubmit={submit}>
        <Field label="Name" value={name} onInput={setName} error={fieldError("name")} required />
        <Select label="Provider type" value={type} options={types.map((t) => [t.type, t.label] as const)} onChange={setType} error={fieldError("acme_dns_provider")} />
        <fieldset>
          <legend>{chosen.label} credentials (<a href={chosen.docs_url} target="_blank" rel="noreferrer">provider docs</a>)</legend>
          {chosen.fields.map((field) => (
            <Field
              key={field.env_name}
              label={`${fieldLabel(field.name)}${field.required ? "" : " (optional)"}`}
              hint={field.description}
              type={field.secret ? "password" : "text"}
              autoComplete="off"
              value={meta[field.env_name] ?? ""}
              onInput={(value) => setMeta({ ...meta, [field.env_name]: value })}
            />
          ))}
          {fieldError("meta") && <p class="field-error" role="alert">{fieldError("meta")}</p>}
        </fieldset>
        <ErrorMessage error={unplaced} />
        <div class="actions">
          <button type="submit">Save provider</button>
          <button type="button" class="secondary" onClick={onClose}>Cancel</button>
        </div>
      </form>
    </Dialog>
  );
}
