import { isIP } from "node:net";
import { normaliseName, normaliseUpstreamName } from "@charon/zones";
import type { SnapshotHost, SnapshotLocation } from "../../snapshot.js";

/**
 * Proxy host → Caddy's JSON configuration (Caddy 2.6, the `POST /load` document of its admin API,
 * https://caddyserver.com/docs/json/). No I/O: the driver decides where certificates are written and
 * when the document is loaded. Each host renders to a `HostFragment`; `renderConfig` assembles the
 * fragments into one document, so the driver can try any mix of hosts' new and last good versions.
 */

/** A piece of Caddy's JSON (a route, a handler, a matcher set...). */
export type CaddyJson = Record<string, unknown>;

/** Where and how the proxy listens, and which DNS servers resolve upstream names. */
export interface CaddyListen {
  /** Address the hosts listen on ("" for every address), e.g. `127.0.0.1` in tests. */
  listenAddress: string;
  httpPort: number;
  httpsPort: number;
  /** DNS servers (`host` or `host:port`) Caddy asks for upstream names when a request comes. */
  resolvers: string[];
}

export interface CaddyConfigOptions extends CaddyListen {
  /** Caddy's admin API (`host:port` on loopback): the loaded document must keep it where it is. */
  adminAddress: string;
  /** Absolute directory for Caddy's own storage (locks, OCSP staples), instead of the user's home. */
  storageDir: string;
}

/** A host's certificate as files Caddy loads (absolute paths), tagged so its TLS policy picks it. */
export interface CaddyHostTls {
  certificateFile: string;
  keyFile: string;
  /** Names this certificate file pair (`tls.certificates.load_files[].tags`). */
  tag: string;
}

/** One host's share of the document; JSON, so equal fragments mean an unchanged host. */
export interface HostFragment {
  /** Exact names (A-labels) and wildcard names (`*.example.com`): exact ones are matched first, as nginx does. */
  names: { exact: string[]; wildcard: string[] };
  /** What the `:http` server does for the host's names. */
  http: CaddyJson[];
  /** What the `:https` server does, with the certificate and ALPN; null without a certificate. */
  https: { handle: CaddyJson[]; tls: CaddyHostTls; alpn: string[] } | null;
}

/** A host that cannot be rendered (a name or upstream no proxy could use): reported, never loaded. */
export class CaddyRenderError extends Error {
  override readonly name = "CaddyRenderError";
}

/**
 * What the Caddy driver does not apply, said in the host's report (it is still served): Caddy has
 * no WAF module, `advanced_config` is nginx syntax, and Caddy's standard build has no HTTP cache.
 * One short clause each, so that a certificate's note and one of these fit in a report's note (100
 * characters); more are cut at a clause (`reportParts`).
 */
export const NOT_APPLIED = {
  waf: "WAF unsupported by this driver",
  advancedConfig: "advanced_config ignored (nginx syntax)",
  caching: "caching ignored (no cache in Caddy)",
} as const;

/**
 * Requests with common exploit patterns get 403: the nginx driver's `block-exploits.conf` as Caddy
 * matcher sets (any one matching denies). Go's RE2 syntax; `(?i)` as nginx's `~*`.
 */
export const BLOCK_EXPLOITS_MATCHERS: CaddyJson[] = [
  "union.*select.*\\(",
  "concat.*\\(",
  "[a-zA-Z0-9_]=(https?|ftp)://",
  "(\\.\\./)+",
  "(<|%3C).*script.*(>|%3E)",
  "(boot\\.ini|etc/passwd|self/environ)",
].map((pattern) => ({ vars_regexp: { "{http.request.uri.query}": { pattern: `(?i)${pattern}` } } }));
BLOCK_EXPLOITS_MATCHERS.push({ header_regexp: { "User-Agent": { pattern: "(?i)(libwww-perl|sqlmap|nikto|masscan)" } } });

/**
 * One enabled host's fragment, and what of it Caddy does not apply (notes for the report). Throws
 * CaddyRenderError when a name or upstream is unusable. `tls`: its certificate's files, or null.
 */
export function renderHost(host: SnapshotHost, tls: CaddyHostTls | null, listen: CaddyListen): { fragment: HostFragment; notes: string[] } {
  const names = host.domain_names.map(serverName);
  if (names.length === 0) throw new CaddyRenderError("A proxy host needs at least one domain name");
  const notes: string[] = [];
  if (host.waf_enabled) notes.push(NOT_APPLIED.waf);
  if (host.advanced_config.trim() !== "" || host.locations.some((l) => l.advanced_config.trim() !== "")) notes.push(NOT_APPLIED.advancedConfig);
  if (host.caching_enabled) notes.push(NOT_APPLIED.caching);

  const proxy = (scheme: "http" | "https"): CaddyJson[] => {
    const routes: CaddyJson[] = [];
    if (host.block_exploits) routes.push({ match: BLOCK_EXPLOITS_MATCHERS, handle: [{ handler: "static_response", status_code: 403 }], terminal: true });
    for (const location of orderLocations(host.locations)) routes.push(locationRoute(location, host.allow_websocket_upgrade, listen));
    // A user's own `/` location replaces the host's default one, as in nginx.
    if (!host.locations.some((l) => l.path.trim() === "/")) {
      routes.push(locationRoute({ ...rootLocation(host), path: "/" }, host.allow_websocket_upgrade, listen));
    }
    const hsts =
      scheme === "https" && host.hsts_enabled
        ? [{ handler: "headers", response: { set: { "Strict-Transport-Security": [`max-age=63072000;${host.hsts_subdomains ? " includeSubDomains;" : ""} preload`] } } }]
        : [];
    return [...hsts, { handler: "subroute", routes }];
  };

  let http: CaddyJson[];
  if (tls && host.ssl_forced) {
    const port = listen.httpsPort === 443 ? "" : `:${listen.httpsPort}`;
    http = [{ handler: "static_response", status_code: 301, headers: { Location: [`https://{http.request.host}${port}{http.request.uri}`] } }];
  } else {
    http = proxy("http");
  }
  return {
    fragment: {
      names: { exact: names.filter((n) => !n.startsWith("*.")), wildcard: names.filter((n) => n.startsWith("*.")) },
      http,
      https: tls ? { handle: proxy("https"), tls, alpn: host.http2_support ? ["h2", "http/1.1"] : ["http/1.1"] } : null,
    },
    notes,
  };
}

/**
 * CrowdSec's bans (addresses and CIDRs) as the first route of each server: every host answers them
 * 403, before its own routes. Throws CaddyRenderError for an entry that is neither.
 */
function denyRoutes(list: readonly string[]): CaddyJson[] {
  for (const entry of list) {
    const [address, bits, extra] = entry.split("/");
    if (isIP(address ?? "") === 0 || extra !== undefined || (bits !== undefined && !/^\d{1,3}$/.test(bits))) {
      throw new CaddyRenderError(`'${entry}' is not an address or a CIDR`);
    }
  }
  if (list.length === 0) return [];
  return [{ match: [{ remote_ip: { ranges: [...list] } }], handle: [{ handler: "static_response", status_code: 403 }], terminal: true }];
}

/**
 * The whole document: one server on the HTTP port and, when some host has a certificate, one on
 * the HTTPS port; automatic HTTPS off (certificates come from the API, loaded from files). Names no
 * host serves get no answer (the connection is aborted; no TLS policy matches their handshake).
 * `denyList`: CrowdSec's bans, refused by every host.
 */
export function renderConfig(options: CaddyConfigOptions, fragments: readonly HostFragment[], denyList: readonly string[] = []): CaddyJson {
  const abort: CaddyJson = { handle: [{ handler: "static_response", abort: true }] };
  const deny = denyRoutes(denyList);
  const servers: CaddyJson = {
    charon_http: {
      listen: [listenOn(options.listenAddress, options.httpPort)],
      routes: [...deny, ...routesByName(fragments, (f) => f.http), abort],
      automatic_https: { disable: true },
    },
  };
  const secure = fragments.filter((f): f is HostFragment & { https: NonNullable<HostFragment["https"]> } => f.https !== null);
  const apps: CaddyJson = { http: { servers } };
  if (secure.length > 0) {
    servers["charon_https"] = {
      listen: [listenOn(options.listenAddress, options.httpsPort)],
      routes: [...deny, ...routesByName(secure, (f) => f.https.handle), abort],
      // Per host ALPN (http2_support) comes from its TLS policy; no HTTP/3 (it would need UDP).
      protocols: ["h1", "h2"],
      tls_connection_policies: byName(secure).map(({ names, fragment }) => ({
        match: { sni: names },
        certificate_selection: { any_tag: [fragment.https.tls.tag] },
        alpn: fragment.https.alpn,
      })),
      automatic_https: { disable: true },
    };
    const files = new Map(secure.map((f) => [f.https.tls.tag, f.https.tls]));
    apps["tls"] = {
      certificates: { load_files: [...files.values()].map((t) => ({ certificate: t.certificateFile, key: t.keyFile, tags: [t.tag] })) },
    };
  }
  return {
    admin: { listen: options.adminAddress },
    storage: { module: "file_system", root: options.storageDir },
    apps,
  };
}

/**
 * Routes by host name in nginx's order of precedence: every host's exact names first, then each
 * wildcard name on its own, longest first (`*.a.example.com` before `*.example.com`).
 */
function routesByName<F extends HostFragment>(fragments: readonly F[], handle: (f: F) => CaddyJson[]): CaddyJson[] {
  return byName(fragments).map(({ names, fragment }) => ({ match: [{ host: names }], handle: handle(fragment), terminal: true }));
}

function byName<F extends HostFragment>(fragments: readonly F[]): { names: string[]; fragment: F }[] {
  const exact = fragments.filter((f) => f.names.exact.length > 0).map((fragment) => ({ names: fragment.names.exact, fragment }));
  const wildcard = fragments
    .flatMap((fragment) => fragment.names.wildcard.map((name) => ({ names: [name], fragment })))
    .sort((a, b) => (b.names[0] ?? "").length - (a.names[0] ?? "").length);
  return [...exact, ...wildcard];
}

function rootLocation(host: SnapshotHost): Omit<SnapshotLocation, "path"> {
  return { forward_scheme: host.forward_scheme, forward_host: host.forward_host, forward_port: host.forward_port, forward_path: host.forward_path, advanced_config: "" };
}

/**
 * Caddy takes the first route that matches; nginx picks exact locations, then the longest prefix
 * unless a regular expression matches (`^~` prefixes skip the regular expressions). In that order:
 * exact, `^~` prefixes longest first, regular expressions as given, then plain prefixes longest
 * first. (It differs from nginx only when a plain prefix longer than a matching `^~` one matches too.)
 */
function orderLocations(locations: readonly SnapshotLocation[]): SnapshotLocation[] {
  const kind = (l: SnapshotLocation) => parsePath(l.path).kind;
  const rank = { exact: 0, preferred: 1, regex: 2, prefix: 3 } as const;
  return locations
    .map((location, index) => ({ location, index }))
    .sort((a, b) => {
      const byKind = rank[kind(a.location)] - rank[kind(b.location)];
      if (byKind !== 0) return byKind;
      if (kind(a.location) === "regex") return a.index - b.index;
      return parsePath(b.location.path).pattern.length - parsePath(a.location.path).pattern.length;
    })
    .map(({ location }) => location);
}

type ParsedPath = { kind: "exact" | "preferred" | "prefix"; pattern: string } | { kind: "regex"; pattern: string; caseless: boolean };

/** A location's path as the API stores it: a prefix, or `=`, `^~`, `~`, `~*`, one space, a pattern. */
function parsePath(path: string): ParsedPath {
  const match = /^(=|\^~|~\*?) ?(.*)$/.exec(path.trim());
  if (!match) return { kind: "prefix", pattern: path.trim() };
  const pattern = match[2] ?? "";
  if (match[1] === "=") return { kind: "exact", pattern };
  if (match[1] === "^~") return { kind: "preferred", pattern };
  return { kind: "regex", pattern, caseless: match[1] === "~*" };
}

/**
 * A location as a route: its path matcher, `forward_path` as a rewrite, then `reverse_proxy` to its
 * upstream. The upstream's name is resolved when a request comes (Caddy dials per request, through
 * `resolvers`), so a name that does not resolve fails that host's requests with a 502, never the load.
 */
function locationRoute(location: SnapshotLocation, websocket: boolean, listen: CaddyListen): CaddyJson {
  const path = parsePath(location.path);
  const match =
    path.kind === "regex"
      ? { path_regexp: { pattern: `${path.caseless ? "(?i)" : ""}${path.pattern}` } }
      : path.pattern === "/"
        ? null
        : { path: [path.kind === "exact" ? path.pattern : `${path.pattern}*`] };
  const handle: CaddyJson[] = [...rewriteFor(path, location.forward_path), reverseProxy(location, websocket, listen)];
  return { ...(match ? { match: [match] } : {}), handle, terminal: true };
}

/** `/api/` + forward_path `/v2/`: `/api/x?q` → `/v2/x?q` (a rewrite keeps the query string). */
function rewriteFor(path: ParsedPath, forwardPath: string): CaddyJson[] {
  if (forwardPath === "") return [];
  if (/[{}$\\]/.test(forwardPath)) throw new CaddyRenderError(`forward_path '${forwardPath}' has a character Caddy's rewrite would read as a placeholder`);
  // An exact location is the one URI; a regular expression's match has no prefix to replace, so
  // the request's whole path goes below forward_path (as the nginx driver does).
  if (path.kind === "exact") return [{ handler: "rewrite", path_regexp: [{ find: "^.*$", replace: forwardPath }] }];
  if (path.kind === "regex") return [{ handler: "rewrite", path_regexp: [{ find: "^/?", replace: forwardPath.replace(/\/?$/, "/") }] }];
  return [{ handler: "rewrite", path_regexp: [{ find: `^${escapeRegex(path.pattern)}`, replace: forwardPath }] }];
}

function reverseProxy(location: Omit<SnapshotLocation, "path">, websocket: boolean, listen: CaddyListen): CaddyJson {
  const dial = upstreamDial(location);
  return {
    handler: "reverse_proxy",
    upstreams: [{ dial }],
    transport: {
      protocol: "http",
      resolver: { addresses: listen.resolvers.map(resolverAddress) },
      // nginx does not verify an https upstream's certificate (proxy_ssl_verify off), and Nginx
      // Proxy Manager's users point https upstreams at self-signed back ends; neither does this driver.
      ...(location.forward_scheme === "https" ? { tls: { insecure_skip_verify: true } } : {}),
    },
    // Caddy sets X-Forwarded-For/-Proto/-Host itself; these are the rest of the nginx driver's proxy
    // headers. Host is the client's without its port, as nginx's `$host`: Caddy would pass it with
    // the port (`shop.example.test:8443`), and an upstream's virtual hosts match the name alone.
    // Caddy passes WebSocket upgrades unless told not to.
    headers: {
      request: {
        set: { Host: ["{http.request.host}"], "X-Real-IP": ["{http.request.remote.host}"], "X-Forwarded-Scheme": ["{http.request.scheme}"] },
        ...(websocket ? {} : { delete: ["Upgrade"] }),
      },
    },
  };
}

function upstreamDial(spec: Pick<SnapshotLocation, "forward_scheme" | "forward_host" | "forward_port">): string {
  if (spec.forward_scheme !== "http" && spec.forward_scheme !== "https") {
    throw new CaddyRenderError(`Upstream scheme '${String(spec.forward_scheme)}' is neither http nor https`);
  }
  if (!Number.isInteger(spec.forward_port) || spec.forward_port < 1 || spec.forward_port > 65535) {
    throw new CaddyRenderError(`Upstream port ${spec.forward_port} is not from 1 to 65535`);
  }
  return `${upstreamHost(spec.forward_host)}:${spec.forward_port}`;
}

function upstreamHost(host: string): string {
  const version = isIP(host);
  if (version === 6) return `[${host}]`;
  if (version === 4) return host;
  const name = normaliseUpstreamName(host);
  if (!name.ok) throw new CaddyRenderError(`Upstream '${host}' ${name.error.reason}`);
  return name.value;
}

function serverName(domain: string): string {
  const name = normaliseName(domain);
  if (!name.ok) throw new CaddyRenderError(name.error.details);
  return name.value;
}

function listenOn(address: string, port: number): string {
  if (address === "") return `:${port}`;
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/** `10.0.0.2`, `10.0.0.2:5353`, `::1`, `[::1]:53` or `dns.internal` → Caddy's network address `udp/host:port` (53 by default). */
function resolverAddress(address: string): string {
  if (isIP(address) === 6) return `udp/[${address}]:53`;
  return /:\d+$/.test(address) ? `udp/${address}` : `udp/${address}:53`;
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, "\\$&");
}
