/**
 * A proxy host: the Nginx Proxy Manager object that rest-api.md builds on. Fields keep their
 * wire names (snake_case), so the object passes through the API and storage without renaming.
 */
export type ForwardScheme = "http" | "https";
export type WafMode = "block" | "monitor";

export interface ProxyLocation {
  /** A URI prefix, or an nginx modifier, one space and its pattern (`~* \.php$`). */
  path: string;
  forward_scheme: ForwardScheme;
  forward_host: string;
  forward_port: number;
  /** The URI path the upstream is asked for in place of `path` ("" keeps the request's). */
  forward_path: string;
  advanced_config: string;
}

export interface ProxyHostFields {
  domain_names: string[];
  forward_scheme: ForwardScheme;
  /** A host name (lower-case A-labels), an IPv4 address, or an IPv6 address in RFC 5952 form. */
  forward_host: string;
  forward_port: number;
  /** A URI path prefix prepended upstream (`/app/`); "" for none. */
  forward_path: string;
  /** The certificate served for the host's names; 0 for none. */
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
  locations: ProxyLocation[];
  meta: Record<string, unknown>;
  waf_enabled: boolean;
  waf_mode: WafMode;
}

export interface ProxyHost extends ProxyHostFields {
  id: number;
  created_on: string;
  modified_on: string;
  /** Optimistic concurrency: every write checks and increments it. */
  version: number;
}

/** `certificate_id` as a request may give it: an id, 0 for none, or "new" to request one. */
export type CertificateChoice = number | "new";

/** A location as a request may give it: `forward_path` may instead be inside `forward_host` (NPM's form). */
export type ProxyLocationInput = Omit<ProxyLocation, "forward_path"> & { forward_path?: string };

/** A create request: the fields a caller may give (the API fills defaults for the rest). */
export type ProxyHostInput = Omit<ProxyHostFields, "certificate_id" | "locations"> & {
  certificate_id: CertificateChoice;
  locations: ProxyLocationInput[];
};

/** A partial update (`PUT` changes only the fields it names). */
export type ProxyHostPatch = Partial<ProxyHostInput>;

export const proxyHostDefaults: Omit<ProxyHostFields, "domain_names" | "forward_host" | "forward_port"> = {
  forward_scheme: "http",
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
  meta: {},
  waf_enabled: false,
  waf_mode: "block",
};

export const MAX_DOMAIN_NAMES = 100;
