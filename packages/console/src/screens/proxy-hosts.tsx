/**
 * Proxy hosts, edited like Nginx Proxy Manager's form (Details, SSL, WAF, Advanced), each with
 * what every agent last reported for it (applied, failed, disabled; which configuration it serves).
 */
import { useState } from "preact/hooks";
import { api, ApiError, must, type Schemas } from "../api/client.js";
import { can } from "../api/session.js";
import { useCan, useSession } from "../app.js";
import { Checkbox, Dialog, ErrorMessage, Field, PageHead, Select, useLoad, Scroll } from "../ui.js";

type ProxyHost = Schemas["ProxyHost"];
type Agent = Schemas["AgentStatus"];

export function ProxyHosts() {
  const session = useSession();
  const mayWrite = useCan("proxy_hosts", "write");
  const hosts = useLoad(() => must(api.GET("/api/nginx/proxy-hosts", { params: { query: { limit: 500 } } })));
  const agents = useLoad(async () => (can(session, "agents", "read") ? must(api.GET("/api/v1/agents")) : []));
  const [editing, setEditing] = useState<ProxyHost | "new">();
  const [actionError, setActionError] = useState<unknown>();
  const act = async (call: Promise<{ data?: unknown; error?: unknown; response: Response }>) => {
    setActionError(undefined);
    try {
      await must(call);
      hosts.reload();
    } catch (problem) {
      setActionError(problem);
    }
  };
  return (
    <section>
      <PageHead title="Proxy hosts">{mayWrite && <button type="button" onClick={() => setEditing("new")}>Add proxy host</button>}</PageHead>
      <ErrorMessage error={hosts.error ?? actionError} />
      {hosts.data && hosts.data.length === 0 && <p>No proxy hosts yet.</p>}
      {hosts.data && hosts.data.length > 0 && (
        <Scroll label="Proxy hosts">
          <table aria-label="Proxy hosts">
            <thead>
              <tr><th scope="col">Source</th><th scope="col">Destination</th><th scope="col">SSL</th><th scope="col">WAF</th><th scope="col">Status per agent</th><th scope="col">Actions</th></tr>
            </thead>
            <tbody>
              {hosts.data.map((host) => {
                const params = { params: { path: { id: host.id } } };
                return (
                  <tr key={host.id}>
                    <th scope="row">{host.domain_names.join(", ")}{!host.enabled && <div class="hint">disabled</div>}</th>
                    <td>{host.forward_scheme}://{host.forward_host}:{host.forward_port}{host.forward_path}</td>
                    <td>{host.certificate ? `${host.certificate.nice_name} (${host.certificate.status})` : "none"}</td>
                    <td>{host.waf_enabled ? host.waf_mode : "off"}</td>
                    <td><AgentStatuses host={host} agents={agents.data ?? []} /></td>
                    <td class="actions">
                      {mayWrite && (
                        <>
                          <button type="button" class="small secondary" onClick={() => setEditing(host)} aria-label={`Edit ${host.domain_names[0]}`}>Edit</button>
                          <button type="button" class="small secondary" onClick={() => void act(host.enabled ? api.POST("/api/nginx/proxy-hosts/{id}/disable", params) : api.POST("/api/nginx/proxy-hosts/{id}/enable", params))}>
                            {host.enabled ? "Disable" : "Enable"}
                          </button>
                          <button type="button" class="small danger" onClick={() => void act(api.DELETE("/api/nginx/proxy-hosts/{id}", params))} aria-label={`Delete ${host.domain_names[0]}`}>Delete</button>
                        </>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </Scroll>
      )}
      {editing && <ProxyHostForm host={editing === "new" ? undefined : editing} onClose={() => setEditing(undefined)} onSaved={() => (setEditing(undefined), hosts.reload())} />}
    </section>
  );
}

function AgentStatuses({ host, agents }: { host: ProxyHost; agents: Agent[] }) {
  const reports = agents.flatMap((agent) => {
    const report = agent.hosts.find((h) => h.id === host.id);
    const problem = agent.problems.find((p) => p.id === host.id);
    return report ? [{ agent: agent.agent_id, report, problem }] : [];
  });
  if (reports.length === 0) return <>no agent reported it</>;
  return (
    <ul class="plain">
      {reports.map(({ agent, report, problem }) => (
        <li key={agent}>
          {agent}: {report.status}
          {report.serving !== "desired" && ` (serving ${report.serving})`}
          {problem?.error && <div class="hint">{problem.error}</div>}
        </li>
      ))}
    </ul>
  );
}

const TABS = ["Details", "SSL", "WAF", "Advanced"] as const;
const FIELDS = ["domain_names", "forward_scheme", "forward_host", "forward_port", "forward_path", "certificate_id", "advanced_config", "waf_mode", "locations", "meta"] as const;

function ProxyHostForm({ host, onClose, onSaved }: { host: ProxyHost | undefined; onClose: () => void; onSaved: () => void }) {
  const mayReadCertificates = useCan("certificates", "read");
  const certificates = useLoad(async () => (mayReadCertificates ? must(api.GET("/api/nginx/certificates", { params: { query: { limit: 500 } } })) : []));
  const [tab, setTab] = useState<(typeof TABS)[number]>("Details");
  const [form, setForm] = useState({
    domain_names: host?.domain_names.join(", ") ?? "",
    forward_scheme: host?.forward_scheme ?? ("http" as "http" | "https"),
    forward_host: host?.forward_host ?? "",
    forward_port: String(host?.forward_port ?? 80),
    caching_enabled: host?.caching_enabled ?? false,
    block_exploits: host?.block_exploits ?? false,
    allow_websocket_upgrade: host?.allow_websocket_upgrade ?? false,
    certificate_id: String(host?.certificate_id ?? 0),
    ssl_forced: host?.ssl_forced ?? false,
    http2_support: host?.http2_support ?? false,
    hsts_enabled: host?.hsts_enabled ?? false,
    hsts_subdomains: host?.hsts_subdomains ?? false,
    waf: host?.waf_enabled ? host.waf_mode : ("off" as "off" | "block" | "monitor"),
    advanced_config: host?.advanced_config ?? "",
  });
  const [error, setError] = useState<unknown>();
  const placed = error instanceof ApiError ? error.fieldOf(FIELDS) : undefined;
  const fieldError = (field: (typeof FIELDS)[number]) => (placed === field ? (error as ApiError).message : undefined);
  const set = <K extends keyof typeof form>(key: K) => (value: (typeof form)[K]) => setForm({ ...form, [key]: value });
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    const body = {
      domain_names: form.domain_names.split(",").map((name) => name.trim()).filter(Boolean),
      forward_scheme: form.forward_scheme,
      forward_host: form.forward_host.trim(),
      forward_port: Number(form.forward_port),
      caching_enabled: form.caching_enabled,
      block_exploits: form.block_exploits,
      allow_websocket_upgrade: form.allow_websocket_upgrade,
      certificate_id: Number(form.certificate_id),
      ssl_forced: form.ssl_forced,
      http2_support: form.http2_support,
      hsts_enabled: form.hsts_enabled,
      hsts_subdomains: form.hsts_subdomains,
      waf_enabled: form.waf !== "off",
      ...(form.waf !== "off" ? { waf_mode: form.waf } : {}),
      advanced_config: form.advanced_config,
    };
    try {
      if (host) await must(api.PUT("/api/nginx/proxy-hosts/{id}", { params: { path: { id: host.id } }, body }));
      else await must(api.POST("/api/nginx/proxy-hosts", { body }));
      onSaved();
    } catch (problem) {
      setError(problem);
      // Show the tab that holds the field the API named.
      const named = problem instanceof ApiError ? problem.fieldOf(FIELDS) : undefined;
      if (named === "certificate_id") setTab("SSL");
      else if (named === "waf_mode") setTab("WAF");
      else if (named === "advanced_config") setTab("Advanced");
      else if (named) setTab("Details");
    }
  };
  return (
    <Dialog title={host ? `Edit ${host.domain_names[0]}` : "New proxy host"} onClose={onClose}>
      <div role="tablist" class="tabs" aria-label="Proxy host settings">
        {TABS.map((name) => (
          <button key={name} type="button" role="tab" aria-selected={tab === name ? "true" : "false"} class={tab === name ? "" : "secondary"} onClick={() => setTab(name)}>{name}</button>
        ))}
      </div>
      <form onSubmit={submit}>
        <div role="tabpanel" aria-label={tab}>
          {tab === "Details" && (
            <>
              <Field label="Domain names" value={form.domain_names} onInput={set("domain_names")} hint="Comma-separated" error={fieldError("domain_names")} required />
              <Select label="Scheme" value={form.forward_scheme} options={[["http", "http"], ["https", "https"]]} onChange={set("forward_scheme")} error={fieldError("forward_scheme")} />
              <Field label="Forward hostname / IP" value={form.forward_host} onInput={set("forward_host")} error={fieldError("forward_host")} required />
              <Field label="Forward port" inputMode="numeric" value={form.forward_port} onInput={set("forward_port")} error={fieldError("forward_port")} required />
              <Checkbox label="Cache assets" checked={form.caching_enabled} onChange={set("caching_enabled")} />
              <Checkbox label="Block common exploits" checked={form.block_exploits} onChange={set("block_exploits")} />
              <Checkbox label="Websockets support" checked={form.allow_websocket_upgrade} onChange={set("allow_websocket_upgrade")} />
            </>
          )}
          {tab === "SSL" && (
            <>
              <Select
                label="SSL certificate"
                value={form.certificate_id}
                options={[["0", "None"], ...(certificates.data ?? []).map((c) => [String(c.id), `${c.nice_name || c.domain_names.join(", ")} (${c.status})`] as const)]}
                onChange={set("certificate_id")}
                error={fieldError("certificate_id")}
              />
              <Checkbox label="Force SSL" checked={form.ssl_forced} onChange={set("ssl_forced")} />
              <Checkbox label="HTTP/2 support" checked={form.http2_support} onChange={set("http2_support")} />
              <Checkbox label="HSTS enabled" checked={form.hsts_enabled} onChange={set("hsts_enabled")} />
              <Checkbox label="HSTS subdomains" checked={form.hsts_subdomains} onChange={set("hsts_subdomains")} />
            </>
          )}
          {tab === "WAF" && (
            <Select
              label="Web application firewall (ModSecurity with the Core Rule Set)"
              value={form.waf}
              options={[["off", "Off"], ["monitor", "Monitor: log what it would block"], ["block", "Block"]]}
              onChange={set("waf")}
              error={fieldError("waf_mode")}
            />
          )}
          {tab === "Advanced" && (
            <div class="field">
              <label for="advanced-config">Custom Nginx configuration</label>
              <textarea id="advanced-config" rows={8} value={form.advanced_config} onInput={(event) => set("advanced_config")(event.currentTarget.value)} aria-invalid={fieldError("advanced_config") ? "true" : undefined} />
              {fieldError("advanced_config") && <p class="field-error" role="alert">{fieldError("advanced_config")}</p>}
            </div>
          )}
        </div>
        {error !== undefined && !placed && <ErrorMessage error={error} />}
        <div class="actions">
          <button type="submit">Save</button>
          <button type="button" class="secondary" onClick={onClose}>Cancel</button>
        </div>
      </form>
    </Dialog>
  );
}
