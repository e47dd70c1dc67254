import { isIP } from "node:net";
import { normaliseName, normaliseUpstreamName } from "@charon/zones";
import type { SnapshotHost, SnapshotLocation } from "../../snapshot.js";

/**
 * Proxy host → nginx configuration, as text. No I/O: the apply loop (`apply.ts`) decides where
 * the text goes. Paths inside the rendered files are relative to the tree's `nginx.conf`
 * (nginx resolves `include` and `ssl_certificate` against the main file's directory), so the same
 * text serves the staged tree that `nginx -t` checks and the live tree that nginx runs.
 */

/** Where the files of a tree live, relative to its `nginx.conf`. */
export const TREE = {
  hostFile: (id: number) => `hosts/${id}.conf`,
  certificateFile: (id: number) => `certs/${id}/fullchain.pem`,
  keyFile: (id: number) => `certs/${id}/privkey.pem`,
  proxySnippet: "snippets/proxy.conf",
  blockExploitsSnippet: "snippets/block-exploits.conf",
  wafRules: "snippets/modsecurity.conf",
  /** CrowdSec's bans as a `geo` map (`renderDenyMap`), included by the main file when the agent is a bouncer. */
  denyMap: "crowdsec/deny.conf",
  /** Which apply the running nginx has loaded (`GENERATION_PATH`), written before each reload. */
  generation: "generation.conf",
} as const;

/**
 * Where nginx tells the agent, on its own loopback, which generation of the tree it serves:
 * `nginx -s reload` only signals, so the agent waits for the new generation to answer.
 */
export const GENERATION_PATH = "/.well-known/charon-agent/generation";

/** The generation file's text: the answer of `GENERATION_PATH`. */
export function renderGeneration(generation: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(generation)) throw new RenderError(`Generation '${generation}' is not a plain token`);
  return `return 200 "${generation}";\n`;
}

/** What the main configuration needs to know about the machine. */
export interface MainConfigOptions {
  /** Address the proxy listens on ("" for every address), e.g. `127.0.0.1` in tests. */
  listenAddress: string;
  httpPort: number;
  httpsPort: number;
  /** DNS servers (`host` or `host:port`) nginx asks for upstream names at request time. */
  resolvers: string[];
  /** Absolute directory for the pid file, logs, temporary files and the cache. */
  runDir: string;
  /** `user` directive; omitted when unset (nginx's default, or the master's user when not root). */
  user?: string;
  /**
   * The ModSecurity WAF, loaded only when some host enables it: the dynamic module's path and the
   * OWASP Core Rule Set's setup file and rules directory (Debian: `libnginx-mod-http-modsecurity`,
   * `modsecurity-crs`).
   */
  waf?: { module: string; crsSetup: string; crsRules: string };
  /**
   * The agent is a CrowdSec bouncer: the main file includes the deny map (`TREE.denyMap`) and
   * every host refuses the addresses in it with 403.
   */
  crowdsec?: boolean;
}

/** A host that cannot be rendered (a name or upstream no proxy could use): reported, never applied. */
export class RenderError extends Error {
  override readonly name = "RenderError";
}

/** How a host is served over TLS: its certificate's files in the tree, or none (plain HTTP). */
export type HostTls = { certificateFile: string; keyFile: string } | null;

/** Listen ports and address of the hosts' server blocks. */
export type Listen = Pick<MainConfigOptions, "listenAddress" | "httpPort" | "httpsPort" | "crowdsec">;

/**
 * The `nginx.conf` of the tree in `treeDir` (absolute); `wafInUse` loads the Core Rule Set once for
 * every WAF host. (The ModSecurity module reads its rules file relative to nginx's working
 * directory, not the configuration's, hence the tree's own path.)
 */
export function renderMainConfig(options: MainConfigOptions, treeDir: string, wafInUse: boolean): string {
  const run = options.runDir.replace(/\/+$/, "");
  const waf = wafInUse ? options.waf : undefined;
  const lines = [
    "# Written by charon-agent: every apply rewrites this tree.",
    ...(options.user ? [`user ${options.user};`] : []),
    ...(waf ? [`load_module ${quote(waf.module)};`] : []),
    "worker_processes auto;",
    `pid ${quote(`${run}/nginx.pid`)};`,
    `error_log ${quote(`${run}/error.log`)} warn;`,
    "events { worker_connections 1024; }",
    "http {",
    `  access_log ${quote(`${run}/access.log`)};`,
    `  client_body_temp_path ${quote(`${run}/tmp/body`)};`,
    `  proxy_temp_path ${quote(`${run}/tmp/proxy`)};`,
    `  proxy_cache_path ${quote(`${run}/cache`)} levels=1:2 keys_zone=charon_public:10m max_size=256m inactive=7d use_temp_path=off;`,
    "  server_names_hash_bucket_size 128;",
    "  server_names_hash_max_size 65536;",
    // Upstream names are resolved per request through these: a name that does not resolve
    // fails that host's requests (502), never nginx's start or reload.
    `  resolver ${options.resolvers.map(resolverAddress).join(" ")} valid=30s;`,
    "  resolver_timeout 5s;",
    "  map $http_upgrade $charon_connection_upgrade { default upgrade; '' close; }",
    ...(options.crowdsec ? [`  include ${TREE.denyMap};`] : []),
    ...(waf
      ? [
          // Loaded once at the http level in DetectionOnly; a host in block mode turns the engine
          // on for its own server, so each host costs one directive, not a copy of the rules.
          "  modsecurity off;",
          `  modsecurity_rules_file ${quote(`${treeDir.replace(/\/+$/, "")}/${TREE.wafRules}`)};`,
        ]
      : []),
    // Names no host serves: closed without an answer (plain HTTP) or a handshake (TLS); the
    // agent asks for the generation from loopback.
    `  server {`,
    `    listen ${listenOn(options, options.httpPort)} default_server;`,
    `    location = ${GENERATION_PATH} { allow 127.0.0.0/8; allow ::1; deny all; default_type text/plain; include ${TREE.generation}; }`,
    "    location / { return 444; }",
    "  }",
    `  server { listen ${listenOn(options, options.httpsPort)} ssl default_server; ssl_reject_handshake on; }`,
    "  include hosts/*.conf;",
    "}",
    "",
  ];
  return lines.join("\n");
}

/** The variable the deny map sets to 1 for a banned client address. */
const BANNED = "$charon_crowdsec_ban";

/**
 * The deny list (addresses and CIDRs, `denyList` of `crowdsec/decisions.ts`) as an nginx `geo`
 * map on the client's address (http context; no Lua). nginx looks an address up in a radix tree,
 * so a long list costs memory at reload, not time per request.
 */
export function renderDenyMap(list: readonly string[]): string {
  for (const entry of list) {
    const [address, bits] = entry.split("/");
    if (isIP(address ?? "") === 0 || (bits !== undefined && !/^\d{1,3}$/.test(bits))) {
      throw new RenderError(`'${entry}' is not an address or a CIDR`);
    }
  }
  return [
    `# Written by charon-agent: CrowdSec bans (${list.length}). Every host answers them 403.`,
    `geo ${BANNED} {`,
    "  default 0;",
    ...list.map((entry) => `  ${entry} 1;`),
    "}",
    "",
  ].join("\n");
}

/** ModSecurity's own settings, then the Core Rule Set (its anomaly scoring denies with 403). */
export function renderWafRules(waf: NonNullable<MainConfigOptions["waf"]>, runDir: string): string {
  const run = runDir.replace(/\/+$/, "");
  return [
    "# Written by charon-agent.",
    "SecRuleEngine DetectionOnly",
    "SecRequestBodyAccess On",
    "SecRequestBodyLimit 13107200",
    "SecRequestBodyNoFilesLimit 131072",
    "SecRequestBodyLimitAction Reject",
    "SecResponseBodyAccess Off",
    "SecPcreMatchLimit 1000",
    "SecPcreMatchLimitRecursion 1000",
    `SecTmpDir ${run}/tmp`,
    `SecDataDir ${run}/tmp`,
    // Matches go to nginx's error log; no separate audit log to rotate.
    "SecAuditEngine Off",
    "SecArgumentSeparator &",
    "SecCookieFormat 0",
    "SecStatusEngine Off",
    `Include ${waf.crsSetup}`,
    `Include ${waf.crsRules.replace(/\/+$/, "")}/*.conf`,
    "",
  ].join("\n");
}

/** The proxy headers every location sends upstream (Nginx Proxy Manager's `proxy.conf`). */
export const PROXY_SNIPPET = [
  "proxy_set_header Host $host;",
  "proxy_set_header X-Forwarded-Scheme $scheme;",
  "proxy_set_header X-Forwarded-Proto $scheme;",
  "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
  "proxy_set_header X-Real-IP $remote_addr;",
  // An https upstream is asked for its own name (SNI).
  "proxy_ssl_server_name on;",
  "",
].join("\n");

/**
 * Requests with common exploit patterns get 403 (a short form of Nginx Proxy Manager's
 * `block-exploits.conf`): SQL injection, file injection and script tags in the query string.
 */
export const BLOCK_EXPLOITS_SNIPPET = [
  'if ($query_string ~* "union.*select.*\\(") { return 403; }',
  'if ($query_string ~* "concat.*\\(") { return 403; }',
  'if ($query_string ~* "[a-zA-Z0-9_]=(https?|ftp)://") { return 403; }',
  'if ($query_string ~* "(\\.\\./)+") { return 403; }',
  'if ($query_string ~* "(<|%3C).*script.*(>|%3E)") { return 403; }',
  'if ($query_string ~* "(boot\\.ini|etc/passwd|self/environ)") { return 403; }',
  'if ($http_user_agent ~* "(libwww-perl|sqlmap|nikto|masscan)") { return 403; }',
  "",
].join("\n");

/** Static assets cached by the proxy when a host has `caching_enabled` (NPM's `assets.conf`). */
const ASSET_LOCATION = "~* \\.(?:css|js|map|jpe?g|gif|png|webp|avif|ico|svg|woff2?|ttf|eot)$";

/**
 * One host's file: a single server block listening on the HTTP port and, with a certificate, the
 * HTTPS port. Throws RenderError when a name or upstream is unusable. A disabled host has no file
 * (the caller leaves it out).
 */
export function renderHost(host: SnapshotHost, tls: HostTls, listen: Listen): string {
  const serverNames = host.domain_names.map(serverName);
  if (serverNames.length === 0) throw new RenderError("A proxy host needs at least one domain name");
  const body: string[] = [
    `server_name ${serverNames.join(" ")};`,
    `listen ${listenOn(listen, listen.httpPort)};`,
    // Before any redirect or location: a banned client gets nothing but 403.
    ...(listen.crowdsec ? [`if (${BANNED}) { return 403; }`] : []),
  ];
  if (tls) {
    body.push(
      `listen ${listenOn(listen, listen.httpsPort)} ssl${host.http2_support ? " http2" : ""};`,
      `ssl_certificate ${tls.certificateFile};`,
      `ssl_certificate_key ${tls.keyFile};`,
      "ssl_protocols TLSv1.2 TLSv1.3;",
      "ssl_session_cache shared:charon_tls:10m;",
    );
    if (host.ssl_forced) {
      const port = listen.httpsPort === 443 ? "" : `:${listen.httpsPort}`;
      body.push(`if ($scheme = "http") { return 301 https://$host${port}$request_uri; }`);
    }
    if (host.hsts_enabled) {
      const subdomains = host.hsts_subdomains ? " includeSubDomains;" : "";
      body.push(`add_header Strict-Transport-Security "max-age=63072000;${subdomains} preload" always;`);
    }
  }
  if (host.waf_enabled) {
    body.push("modsecurity on;");
    if (host.waf_mode === "block") body.push("modsecurity_rules 'SecRuleEngine On';");
  }
  if (host.block_exploits) body.push(`include ${TREE.blockExploitsSnippet};`);

  const root: SnapshotLocation = {
    path: "/",
    forward_scheme: host.forward_scheme,
    forward_host: host.forward_host,
    forward_port: host.forward_port,
    forward_path: host.forward_path,
    advanced_config: "",
  };
  const websocket = host.allow_websocket_upgrade;
  if (host.caching_enabled) {
    body.push(...location({ ...root, path: ASSET_LOCATION, forward_path: "" }, websocket, [
      "proxy_cache charon_public;",
      "proxy_cache_valid 200 30m;",
      "proxy_cache_valid 404 1m;",
    ]));
  }
  // A user's own `location /` replaces the host's default one (nginx refuses a duplicate).
  const paths = new Set(host.locations.map((l) => l.path.trim()));
  if (!paths.has("/")) body.push(...location(root, websocket, []));
  for (const custom of host.locations) body.push(...location(custom, websocket, []));
  if (host.advanced_config.trim() !== "") body.push(...host.advanced_config.split("\n"));

  return [
    `# Proxy host ${host.id} (${host.domain_names.join(", ")}), modified ${host.modified_on}. Written by charon-agent.`,
    "server {",
    ...body.map((line) => (line === "" ? "" : `  ${line}`)),
    "}",
    "",
  ].join("\n");
}

/**
 * A location forwarding to its upstream. The upstream is a variable, so nginx resolves its name
 * when a request comes (the `resolver` of the main file) instead of at start: an upstream that
 * does not resolve fails only its own requests. With a variable, `proxy_pass` sends the URI as
 * it is, so a `forward_path` is applied by a `rewrite … break` first.
 */
function location(spec: SnapshotLocation, websocket: boolean, extra: string[]): string[] {
  const path = spec.path.trim();
  const lines = [
    `set $charon_upstream "${upstreamUrl(spec)}";`,
    ...rewriteFor(path, spec.forward_path),
    `include ${TREE.proxySnippet};`,
    ...(websocket
      ? ["proxy_http_version 1.1;", "proxy_set_header Upgrade $http_upgrade;", "proxy_set_header Connection $charon_connection_upgrade;"]
      : []),
    ...extra,
    "proxy_pass $charon_upstream;",
    ...(spec.advanced_config.trim() === "" ? [] : spec.advanced_config.split("\n")),
  ];
  return [`location ${path} {`, ...lines.map((line) => (line === "" ? "" : `  ${line}`)), "}"];
}

/** `/api/` + forward_path `/v2/`: `/api/x?q` → `/v2/x?q` (rewrite keeps the query string). */
function rewriteFor(path: string, forwardPath: string): string[] {
  if (forwardPath === "") return [];
  const modifier = /^(=|\^~|~\*?) ?(.*)$/.exec(path);
  if (modifier && modifier[1] !== "^~") {
    // An exact location is the one URI; a regular expression's match has no prefix to replace,
    // so the request's whole URI goes below forward_path.
    if (modifier[1] === "=") return [`rewrite ^ ${forwardPath} break;`];
    return [`rewrite ^/?(.*)$ ${forwardPath.replace(/\/?$/, "/")}$1 break;`];
  }
  const prefix = modifier ? (modifier[2] ?? "") : path;
  return [`rewrite "^${escapeRegex(prefix)}(.*)$" ${forwardPath}$1 break;`];
}

function upstreamUrl(spec: Pick<SnapshotLocation, "forward_scheme" | "forward_host" | "forward_port">): string {
  if (spec.forward_scheme !== "http" && spec.forward_scheme !== "https") {
    throw new RenderError(`Upstream scheme '${String(spec.forward_scheme)}' is neither http nor https`);
  }
  if (!Number.isInteger(spec.forward_port) || spec.forward_port < 1 || spec.forward_port > 65535) {
    throw new RenderError(`Upstream port ${spec.forward_port} is not from 1 to 65535`);
  }
  return `${spec.forward_scheme}://${upstreamHost(spec.forward_host)}:${spec.forward_port}`;
}

function upstreamHost(host: string): string {
  const version = isIP(host);
  if (version === 6) return `[${host}]`;
  if (version === 4) return host;
  const name = normaliseUpstreamName(host);
  if (!name.ok) throw new RenderError(`Upstream '${host}' ${name.error.reason}`);
  return name.value;
}

function serverName(domain: string): string {
  const name = normaliseName(domain);
  if (!name.ok) throw new RenderError(name.error.details);
  return name.value;
}

function listenOn(listen: Listen, port: number): string {
  if (listen.listenAddress === "") return String(port);
  return isIP(listen.listenAddress) === 6 ? `[${listen.listenAddress}]:${port}` : `${listen.listenAddress}:${port}`;
}

function resolverAddress(address: string): string {
  // A bare IPv6 address needs brackets in nginx's `resolver`; `[::1]:53` already has them.
  return isIP(address) === 6 ? `[${address}]` : address;
}

function quote(text: string): string {
  if (/["\\\n$]/.test(text)) throw new RenderError(`Path ${JSON.stringify(text)} cannot be written into nginx's configuration`);
  return `"${text}"`;
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, "\\$&");
}
