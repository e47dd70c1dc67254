import type { Snapshot } from "../snapshot.js";

/**
 * What the agent needs of a proxy driver (nginx, Caddy): bring the proxy to a snapshot and say,
 * per host, what it serves. `apply` never throws for one host's fault or a proxy that is down:
 * those are reported in the result.
 */
export interface ProxyDriver {
  apply(snapshot: Snapshot): Promise<ApplyResult>;
}

/** What happened to one proxy host in an apply. */
export interface HostReport {
  id: number;
  /** applied: the proxy serves the desired version; failed: it does not (see `error`); disabled: not served. */
  status: "applied" | "failed" | "disabled";
  /** The proxy's own error (nginx's error line, Caddy's error), or why the host could not be rendered. */
  error: string | null;
  /** What the proxy serves for the host after this apply: the desired version, its last good one, or nothing. */
  serving: "desired" | "previous" | "none";
  /** Whether the host is served over HTTPS. */
  tls: boolean;
  /** The WAF mode in effect for the host, null when off (or the driver has no WAF). */
  waf_mode: "block" | "monitor" | null;
  /** Something the user should know that is no failure (a certificate not servable yet, a setting the driver does not apply). */
  note: string | null;
}

export interface ApplyResult {
  hosts: HostReport[];
  /** Whether the proxy was told to load a changed configuration. */
  reloaded: boolean;
  /** The reload's (load's) or the shared configuration's error; null when the proxy took the change. */
  proxy_error: string | null;
  /** How many configuration tests (`nginx -t`, `caddy validate`) this apply took. */
  trials: number;
}
