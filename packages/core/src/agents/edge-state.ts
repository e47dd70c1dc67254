import type { ProxyHost, WafMode } from "../proxy-hosts/proxy-host.js";
import type { StoredAgentReport } from "./agent.js";

/**
 * A proxy host's state at the edge in Nginx Proxy Manager's fields (`meta.nginx_online`,
 * `meta.nginx_err`), derived on read from the agents' last reports (decision 0021).
 *
 * Several agents may serve one set of hosts. Only the agents whose last report applied the host's
 * current version (its `modified_on`) count; an agent still on an older version has not seen the
 * change yet. Of those:
 * - one that does not serve it (`failed`): offline, `nginx_err` that agent's error line, prefixed
 *   with its id (`edge-2: [emerg] unknown directive "x" in hosts/7.conf:14`); the first agent by id;
 * - otherwise, at least one serving it: online, `nginx_err` null;
 * - none (no agent has applied this version yet, or the host is disabled): offline with a null
 *   `nginx_err`, what Nginx Proxy Manager's list shows as "Offline" without an error.
 * An agent silent for `SILENT_AFTER_MS` (it reports at least every minute) counts as none: a
 * stopped agent's last word is not evidence that the host is still served.
 */
export interface EdgeState {
  nginx_online: boolean;
  nginx_err: string | null;
}

/** The `meta` keys the edge state owns: derived on read, ignored in a write. */
export const EDGE_STATE_KEYS = ["nginx_online", "nginx_err"] as const;

/** Five missed heartbeats (the agent reports at least every 60 s): its reports no longer count. */
export const SILENT_AFTER_MS = 5 * 60_000;

export function edgeStates(
  hosts: Pick<ProxyHost, "id" | "modified_on" | "enabled">[],
  reports: StoredAgentReport[],
  now: Date,
): Map<number, EdgeState> {
  const byHost = currentEntries(hosts, reports, now);
  const states = new Map<number, EdgeState>();
  for (const host of hosts) {
    const entries = host.enabled ? (byHost.get(host.id) ?? []) : [];
    const failed = entries.find((entry) => entry.status !== "applied");
    if (failed) {
      states.set(host.id, { nginx_online: false, nginx_err: `${failed.agent_id}: ${failed.error ?? `not served (${failed.status})`}` });
    } else {
      states.set(host.id, { nginx_online: entries.length > 0, nginx_err: null });
    }
  }
  return states;
}

/** The WAF mode an agent has in effect for a host; `unsupported`: its driver has no WAF (Caddy). */
export type ReportedWafMode = WafMode | "off" | "unsupported";

export interface ReportedWaf {
  agent_id: string;
  driver: StoredAgentReport["driver"];
  waf_mode: ReportedWafMode;
}

/**
 * Drivers with no WAF module (issue 11: Debian's Caddy has none): a host with the WAF on that such
 * an agent serves runs without it, which the WAF status shows as `unsupported`.
 */
const DRIVERS_WITHOUT_WAF: ReadonlySet<StoredAgentReport["driver"]> = new Set(["caddy"]);

/**
 * Per host, the WAF mode each live agent that applied its current version has in effect, by agent id.
 * A host with the WAF on that an agent serves without it is `unsupported` when its driver has no
 * WAF, else `off` (nginx without the ModSecurity module refuses the host instead: `failed`).
 */
export function reportedWaf(
  hosts: Pick<ProxyHost, "id" | "modified_on" | "enabled" | "waf_enabled">[],
  reports: StoredAgentReport[],
  now: Date,
): Map<number, ReportedWaf[]> {
  const byHost = currentEntries(hosts, reports, now);
  const result = new Map<number, ReportedWaf[]>();
  for (const host of hosts) {
    result.set(
      host.id,
      (byHost.get(host.id) ?? [])
        .filter((entry) => entry.status === "applied")
        .map(({ agent_id, driver, waf_mode }) => ({
          agent_id,
          driver,
          waf_mode: waf_mode ?? (host.enabled && host.waf_enabled && DRIVERS_WITHOUT_WAF.has(driver) ? "unsupported" : "off"),
        })),
    );
  }
  return result;
}

interface CurrentEntry {
  agent_id: string;
  driver: StoredAgentReport["driver"];
  status: "applied" | "failed" | "disabled";
  waf_mode: WafMode | null;
  error: string | null;
}

/** Each host's entries from the live agents' reports that applied its current version, agents by id. */
function currentEntries(hosts: Pick<ProxyHost, "id" | "modified_on">[], reports: StoredAgentReport[], now: Date): Map<number, CurrentEntry[]> {
  const versions = new Map(hosts.map((h) => [h.id, h.modified_on]));
  const byHost = new Map<number, CurrentEntry[]>();
  const live = reports.filter((report) => now.getTime() - Date.parse(report.received_at) <= SILENT_AFTER_MS);
  for (const report of live.sort((a, b) => a.agent_id.localeCompare(b.agent_id))) {
    const errors = new Map(report.problems.map((p) => [p.id, p.error]));
    for (const entry of report.hosts) {
      if (entry.modified_on === undefined || versions.get(entry.id) !== entry.modified_on) continue;
      const list = byHost.get(entry.id) ?? [];
      list.push({ agent_id: report.agent_id, driver: report.driver, status: entry.status, waf_mode: entry.waf_mode, error: errors.get(entry.id) ?? null });
      byHost.set(entry.id, list);
    }
  }
  return byHost;
}
