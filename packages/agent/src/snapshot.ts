/**
 * The desired state the agent applies, in the shape the API publishes it
 * (`GET /api/v1/agent/snapshot`, the `AgentSnapshot` schema of `/api/openapi.json`). The agent
 * depends on this published contract only, never on the control plane's internals.
 */

/** One location of a proxy host: its own upstream for a path (`ProxyLocation`). */
export interface SnapshotLocation {
  /** A URI prefix (`/api/`) or an nginx modifier (`=`, `^~`, `~`, `~*`), one space and a pattern. */
  path: string;
  forward_scheme: "http" | "https";
  forward_host: string;
  forward_port: number;
  /** Replaces the matched prefix (`/api/x` → `/v2/x` for `/v2/`); "" keeps the request's path. */
  forward_path: string;
  advanced_config: string;
}

/** A proxy host as `GET /api/nginx/proxy-hosts/{id}` shows it (the fields a proxy needs). */
export interface SnapshotHost {
  id: number;
  modified_on: string;
  domain_names: string[];
  forward_scheme: "http" | "https";
  forward_host: string;
  forward_port: number;
  forward_path: string;
  /** 0 for none. */
  certificate_id: number;
  ssl_forced: boolean;
  hsts_enabled: boolean;
  hsts_subdomains: boolean;
  http2_support: boolean;
  block_exploits: boolean;
  caching_enabled: boolean;
  allow_websocket_upgrade: boolean;
  advanced_config: string;
  enabled: boolean;
  locations: SnapshotLocation[];
  waf_enabled: boolean;
  waf_mode: "block" | "monitor";
}

/** A certificate a proxy can serve: PEM text, the key present only when the snapshot carries it. */
export interface SnapshotCertificate {
  id: number;
  domain_names: string[];
  /** ISO 8601; a changed value means a renewed certificate, to be served without a manual step. */
  expires_on: string | null;
  /** The leaf followed by its chain, PEM. */
  fullchain_pem: string;
  /** The private key as the API sends it: a compact JWE sealed to this agent's approved key. */
  private_key_jwe?: string;
  /** The private key opened from `private_key_jwe` (PEM), in memory only: never cached on disk. */
  private_key_pem?: string;
}

export interface Snapshot {
  /** The strong ETag of this snapshot: equal snapshots have equal ETags. */
  etag: string;
  proxy_hosts: SnapshotHost[];
  certificates: SnapshotCertificate[];
}
