import type { SnapshotHost } from "../src/snapshot.js";

/** A proxy host as the API publishes it, every option off; tests override what they exercise. */
export function host(overrides: Partial<SnapshotHost> = {}): SnapshotHost {
  return {
    id: 1,
    modified_on: "2026-11-29T23:00:00.000Z",
    domain_names: ["app.customer-a.test"],
    forward_scheme: "http",
    forward_host: "127.0.0.1",
    forward_port: 3000,
    forward_path: "",
    certificate_id: 0,
    ssl_forced: false,
    hsts_enabled: false,
    hsts_subdomains: false,
    http2_support: false,
    block_exploits: false,
    caching_enabled: false,
    allow_websocket_upgrade: false,
    advanced_config: "",
    enabled: true,
    locations: [],
    waf_enabled: false,
    waf_mode: "block",
    ...overrides,
  };
}
