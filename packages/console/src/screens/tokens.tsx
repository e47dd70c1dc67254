/**
 * Settings → API Tokens: the tokens, creating one with a permission and (scoped) per-resource
 * scopes — its value shown once, with a copy button — and revoking one. The API refuses a token
 * with more rights than the session's own; the form offers only what that token has.
 */
import { useState } from "preact/hooks";
import { api, ApiError, must, type Schemas } from "../api/client.js";
import { can, type Resource } from "../api/session.js";
import { useCan, useSession } from "../app.js";
import { Dialog, ErrorMessage, Field, PageHead, Select, useLoad, when, Scroll } from "../ui.js";

const RESOURCES: ReadonlyArray<readonly [Resource, string]> = [
  ["proxy_hosts", "Proxy hosts"],
  ["certificates", "Certificates"],
  ["dns_providers", "DNS providers"],
  ["security", "Security"],
  ["audit", "Audit log"],
  ["tokens", "API tokens"],
  ["settings", "Settings"],
  ["agents", "Agents"],
  ["notifications", "Notifications"],
];

type Permission = Schemas["Token"]["permission"];
type Level = "none" | "read" | "write";

export function Tokens() {
  const mayWrite = useCan("tokens", "write");
  const tokens = useLoad(() => must(api.GET("/api/v1/tokens")));
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ name: string; value: string }>();
  const [revoking, setRevoking] = useState<Schemas["Token"]>();
  return (
    <section>
      <PageHead title="API tokens">{mayWrite && <button type="button" onClick={() => (setCreated(undefined), setCreating(true))}>Create token</button>}</PageHead>
      {created && <CreatedToken {...created} onDone={() => setCreated(undefined)} />}
      <ErrorMessage error={tokens.error} />
      {tokens.data && (
        <Scroll label="API tokens">
          <table aria-label="API tokens">
            <thead>
              <tr><th scope="col">Name</th><th scope="col">Permission</th><th scope="col">Created by</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col">Actions</th></tr>
            </thead>
            <tbody>
              {tokens.data.map((token) => (
                <tr key={token.id}>
                  <th scope="row">{token.name}</th>
                  <td>
                    {token.permission}
                    {token.permission === "scoped" && `: ${Object.entries(token.scopes).map(([resource, level]) => `${resource} ${level}`).join(", ")}`}
                  </td>
                  <td>{token.created_by}</td>
                  <td>{when(token.last_used_at)}</td>
                  <td>{token.expires_at ? when(token.expires_at) : "never"}</td>
                  <td>{mayWrite && <button type="button" class="small danger" onClick={() => setRevoking(token)} aria-label={`Revoke ${token.name}`}>Revoke</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
      {creating && (
        <CreateToken
          onClose={() => setCreating(false)}
          onCreated={(name, value) => {
            setCreating(false);
            setCreated({ name, value });
            tokens.reload();
          }}
        />
      )}
      {revoking && <RevokeToken token={revoking} onClose={() => setRevoking(undefined)} onRevoked={() => (setRevoking(undefined), tokens.reload())} />}
    </section>
  );
}

/** The new token's value, shown this once: the API keeps only its hash. */
function CreatedToken({ name, value, onDone }: { name: string; value: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="notice" role="status">
      <p>Token “{name}” created. Copy its value now: it will not be shown again.</p>
      <p><code class="secret" aria-label="Token value">{value}</code></p>
      <div class="actions">
        <button type="button" onClick={() => void navigator.clipboard.writeText(value).then(() => setCopied(true))}>{copied ? "Copied" : "Copy"}</button>
        <button type="button" class="secondary" onClick={onDone}>Done</button>
      </div>
    </div>
  );
}

function CreateToken({ onClose, onCreated }: { onClose: () => void; onCreated: (name: string, value: string) => void }) {
  const session = useSession();
  const permissions: Array<readonly [Permission, string]> = [
    ["read", "Read: every GET"] as const,
    ["scoped", "Scoped: chosen resources"] as const,
    ...(session.token.permission === "full" ? [["full", "Full access"] as const] : []),
  ];
  const [name, setName] = useState("");
  const [permission, setPermission] = useState<Permission>(session.token.permission === "read" ? "read" : "scoped");
  const [scopes, setScopes] = useState<Partial<Record<Resource, Level>>>({});
  const [expires, setExpires] = useState("");
  const [error, setError] = useState<unknown>();
  const fields = ["name", "permission", "scopes", "expires_at"] as const;
  const placed = error instanceof ApiError ? error.fieldOf(fields) : undefined;
  const fieldError = (field: (typeof fields)[number]) => (placed === field ? (error as ApiError).message : undefined);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    const chosen = Object.fromEntries(Object.entries(scopes).filter(([, level]) => level !== "none"));
    const expires_at = expires ? new Date(`${expires}T23:59:59Z`).toISOString() : null;
    const body = permission === "scoped" ? { name, permission, scopes: chosen, expires_at } : { name, permission, expires_at };
    try {
      const created = await must(api.POST("/api/v1/tokens", { body: body as Schemas["TokenCreateScoped"] }));
      onCreated(created.name, created.token);
    } catch (problem) {
      setError(problem);
    }
  };
  return (
    <Dialog title="Create API token" onClose={onClose}>
      <form onSubmit={submit}>
        <Field label="Name" value={name} onInput={setName} error={fieldError("name")} required />
        <Select label="Permission" value={permission} options={permissions} onChange={setPermission} error={fieldError("permission")} />
        {permission === "scoped" && (
          <fieldset>
            <legend>Scopes</legend>
            {RESOURCES.filter(([resource]) => can(session, resource, "read")).map(([resource, label]) => (
              <Select<Level>
                key={resource}
                label={label}
                value={scopes[resource] ?? "none"}
                options={[["none", "No access"], ["read", "Read"], ...(can(session, resource, "write") ? [["write", "Read and write"] as const] : [])]}
                onChange={(level) => setScopes({ ...scopes, [resource]: level })}
              />
            ))}
            {fieldError("scopes") && <p class="field-error" role="alert">{fieldError("scopes")}</p>}
          </fieldset>
        )}
        <Field label="Expires on (optional)" type="date" value={expires} onInput={setExpires} error={fieldError("expires_at")} />
        {error !== undefined && !placed && <ErrorMessage error={error} />}
        <div class="actions">
          <button type="submit">Create token</button>
          <button type="button" class="secondary" onClick={onClose}>Cancel</button>
        </div>
      </form>
    </Dialog>
  );
}

function RevokeToken({ token, onClose, onRevoked }: { token: Schemas["Token"]; onClose: () => void; onRevoked: () => void }) {
  const [error, setError] = useState<unknown>();
  const revoke = async () => {
    try {
      await must(api.DELETE("/api/v1/tokens/{id}", { params: { path: { id: token.id } } }));
      onRevoked();
    } catch (problem) {
      setError(problem);
    }
  };
  return (
    <Dialog title={`Revoke ${token.name}?`} onClose={onClose}>
      <p>Everything using this token, and every console session signed in with it, stops working at once.</p>
      <ErrorMessage error={error} />
      <div class="actions">
        <button type="button" class="danger" onClick={() => void revoke()}>Revoke</button>
        <button type="button" class="secondary" onClick={onClose}>Cancel</button>
      </div>
    </Dialog>
  );
}
