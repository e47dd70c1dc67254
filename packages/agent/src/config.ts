import { access, readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { isIP } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import ipaddr from "ipaddr.js";

/** How the agent runs: from flags, else `CHARON_AGENT_*` environment variables, else defaults. */
export interface AgentConfig {
  /** The API's base URL, ending in `/api` (`http://127.0.0.1:8081/api`). */
  apiUrl: string;
  /** A token with the `agents` scope (write: it sends reports). Never logged. */
  token: string;
  agentId: string;
  /** Where the last applied snapshot is kept (a restart applies it before the first pull). */
  stateDir: string;
  driver: "nginx" | "caddy";
  /** Seconds between polls. */
  intervalSeconds: number;
  /** Apply once and exit (cron, tests). */
  once: boolean;
  /** Absent unless `--crowdsec-lapi-url` is given: the agent is then a CrowdSec bouncer. */
  crowdsec?: {
    /** The Local API's base URL (`http://127.0.0.1:8080`). */
    lapiUrl: string;
    /** The bouncer's API key, from the environment only (a flag would show in `ps`). Never logged. */
    key: string;
    /** Seconds between pulls of the decisions stream. */
    intervalSeconds: number;
  };
  nginx: {
    confDir: string;
    bin: string;
    reloadCommand?: string[];
    listenAddress: string;
    httpPort: number;
    httpsPort: number;
    resolvers: string[];
    user?: string;
    waf?: { module: string; crsSetup: string; crsRules: string };
  };
  /** With `--driver caddy` (the listen address, ports and resolvers are `nginx`'s, shared by both drivers). */
  caddy: {
    confDir: string;
    bin: string;
    /** Caddy's admin API, `host:port` on loopback. */
    adminAddress: string;
  };
}

/** A flag or variable that is wrong, named with the reason; the CLI prints it and the usage. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export const USAGE = `Usage: charon-agent --api-url URL --token TOKEN [options]

  --api-url URL          the API, ending in /api                 CHARON_AGENT_API_URL
  --token TOKEN          a token with the agents scope (write)    CHARON_AGENT_TOKEN
  --agent-id ID          this agent's name (default: host name)   CHARON_AGENT_ID
  --state-dir DIR        cached snapshot (default /var/lib/charon-agent)   CHARON_AGENT_STATE_DIR
  --driver nginx|caddy   the proxy (default nginx)                CHARON_AGENT_DRIVER
  --interval SECONDS     between polls (default 10)               CHARON_AGENT_INTERVAL
  --once                 apply once and exit                      CHARON_AGENT_ONCE=1
  --nginx-conf-dir DIR   the agent's nginx tree (default <state-dir>/nginx); run nginx with
                         -c <DIR>/live/nginx.conf                 CHARON_AGENT_NGINX_CONF_DIR
  --nginx-bin PATH       nginx (default nginx)                    CHARON_AGENT_NGINX_BIN
  --reload-cmd CMD       how to reload, split on spaces, no shell (default: nginx -s reload)
                                                                  CHARON_AGENT_RELOAD_CMD
  --listen ADDRESS       address the hosts listen on (default: all)   CHARON_AGENT_LISTEN
  --http-port N          (default 80)                             CHARON_AGENT_HTTP_PORT
  --https-port N         (default 443)                            CHARON_AGENT_HTTPS_PORT
  --resolver HOST[:PORT] DNS for upstream names, comma-separated (default: /etc/resolv.conf)
                                                                  CHARON_AGENT_RESOLVER
  --nginx-user USER      nginx's worker user                      CHARON_AGENT_NGINX_USER
  --caddy-admin HOST:PORT  Caddy's admin API on loopback (default 127.0.0.1:2019)
                                                                  CHARON_AGENT_CADDY_ADMIN
  --caddy-conf-dir DIR   certificates and the last good document (default <state-dir>/caddy)
                                                                  CHARON_AGENT_CADDY_CONF_DIR
  --caddy-bin PATH       caddy, for caddy validate (default caddy)   CHARON_AGENT_CADDY_BIN
  (--listen, --http-port, --https-port and --resolver apply to both drivers)
  --crowdsec-lapi-url URL  be a CrowdSec bouncer of this Local API (http://127.0.0.1:8080);
                         its key (cscli bouncers add) only from CHARON_AGENT_CROWDSEC_KEY
                                                                  CHARON_AGENT_CROWDSEC_LAPI_URL
  --crowdsec-interval SECONDS  between pulls of its decisions (default 10)
                                                                  CHARON_AGENT_CROWDSEC_INTERVAL
  -h, --help             this text
`;

/** Debian's ModSecurity module for nginx and the OWASP Core Rule Set, used when installed. */
const DEBIAN_WAF = {
  module: "/usr/lib/nginx/modules/ngx_http_modsecurity_module.so",
  crsSetup: "/etc/modsecurity/crs/crs-setup.conf",
  crsRules: "/usr/share/modsecurity-crs/rules",
};

const options = {
  "api-url": { type: "string" },
  token: { type: "string" },
  "agent-id": { type: "string" },
  "state-dir": { type: "string" },
  driver: { type: "string" },
  interval: { type: "string" },
  once: { type: "boolean" },
  "nginx-conf-dir": { type: "string" },
  "nginx-bin": { type: "string" },
  "reload-cmd": { type: "string" },
  listen: { type: "string" },
  "http-port": { type: "string" },
  "https-port": { type: "string" },
  resolver: { type: "string" },
  "nginx-user": { type: "string" },
  "caddy-admin": { type: "string" },
  "caddy-conf-dir": { type: "string" },
  "caddy-bin": { type: "string" },
  "crowdsec-lapi-url": { type: "string" },
  "crowdsec-interval": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** `null` when `--help` was asked for. Throws ConfigError naming the flag at fault. */
export async function loadConfig(argv: string[], env: NodeJS.ProcessEnv): Promise<AgentConfig | null> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  if (values["help"]) return null;
  const get = (flag: string, variable: string): string | undefined => {
    const value = values[flag];
    if (typeof value === "string") return value;
    const fromEnv = env[variable];
    return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
  };

  const apiUrl = get("api-url", "CHARON_AGENT_API_URL");
  if (!apiUrl) throw new ConfigError("--api-url (CHARON_AGENT_API_URL) is required: the API's base URL, e.g. http://127.0.0.1:8081/api");
  let parsed: URL;
  try {
    parsed = new URL(apiUrl);
  } catch {
    throw new ConfigError(`--api-url: '${apiUrl}' is not a URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new ConfigError(`--api-url: '${apiUrl}' is not http or https`);
  const token = get("token", "CHARON_AGENT_TOKEN");
  if (!token) throw new ConfigError("--token (CHARON_AGENT_TOKEN) is required: a token with the agents scope");

  const driver = get("driver", "CHARON_AGENT_DRIVER") ?? "nginx";
  if (driver !== "nginx" && driver !== "caddy") throw new ConfigError(`--driver: '${driver}' is not supported (nginx, caddy)`);
  const agentId = get("agent-id", "CHARON_AGENT_ID") ?? hostname();
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(agentId)) {
    throw new ConfigError(`--agent-id: '${agentId}' must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  const stateDir = get("state-dir", "CHARON_AGENT_STATE_DIR") ?? "/var/lib/charon-agent";
  const reload = get("reload-cmd", "CHARON_AGENT_RELOAD_CMD");
  const user = get("nginx-user", "CHARON_AGENT_NGINX_USER");
  const resolverText = get("resolver", "CHARON_AGENT_RESOLVER");
  const resolvers = resolverText ? resolverText.split(",").map((r) => r.trim()).filter((r) => r !== "") : await systemResolvers();
  if (resolvers.length === 0) throw new ConfigError("--resolver: no DNS server given and none in /etc/resolv.conf");
  const listenAddress = get("listen", "CHARON_AGENT_LISTEN") ?? "";
  const caddyAdmin = get("caddy-admin", "CHARON_AGENT_CADDY_ADMIN") ?? "127.0.0.1:2019";
  if (!isLoopbackAddress(caddyAdmin)) {
    throw new ConfigError(`--caddy-admin: '${caddyAdmin}' is not a loopback host:port (127.0.0.1:2019, [::1]:2019, localhost:2019)`);
  }
  if (listenAddress !== "" && isIP(listenAddress) === 0) throw new ConfigError(`--listen: '${listenAddress}' is not an IP address`);

  const crowdsec = crowdSecConfig(get("crowdsec-lapi-url", "CHARON_AGENT_CROWDSEC_LAPI_URL"), get("crowdsec-interval", "CHARON_AGENT_CROWDSEC_INTERVAL"), env);

  return {
    apiUrl: apiUrl.replace(/\/+$/, ""),
    token,
    agentId,
    stateDir,
    driver,
    intervalSeconds: number(get("interval", "CHARON_AGENT_INTERVAL") ?? "10", "--interval", 1, 3600),
    once: values["once"] === true || env["CHARON_AGENT_ONCE"] === "1",
    ...(crowdsec ? { crowdsec } : {}),
    nginx: {
      confDir: get("nginx-conf-dir", "CHARON_AGENT_NGINX_CONF_DIR") ?? join(stateDir, "nginx"),
      bin: get("nginx-bin", "CHARON_AGENT_NGINX_BIN") ?? "nginx",
      ...(reload ? { reloadCommand: reload.split(/\s+/).filter((part) => part !== "") } : {}),
      listenAddress,
      httpPort: number(get("http-port", "CHARON_AGENT_HTTP_PORT") ?? "80", "--http-port", 1, 65535),
      httpsPort: number(get("https-port", "CHARON_AGENT_HTTPS_PORT") ?? "443", "--https-port", 1, 65535),
      resolvers,
      ...(user ? { user } : {}),
      ...((await wafInstalled()) ? { waf: DEBIAN_WAF } : {}),
    },
    caddy: {
      confDir: get("caddy-conf-dir", "CHARON_AGENT_CADDY_CONF_DIR") ?? join(stateDir, "caddy"),
      bin: get("caddy-bin", "CHARON_AGENT_CADDY_BIN") ?? "caddy",
      adminAddress: caddyAdmin,
    },
  };
}

function crowdSecConfig(lapiUrl: string | undefined, interval: string | undefined, env: NodeJS.ProcessEnv): AgentConfig["crowdsec"] {
  if (lapiUrl === undefined) {
    if (interval !== undefined) throw new ConfigError("--crowdsec-interval needs --crowdsec-lapi-url (CHARON_AGENT_CROWDSEC_LAPI_URL)");
    return undefined;
  }
  let parsed: URL;
  try {
    parsed = new URL(lapiUrl);
  } catch {
    throw new ConfigError(`--crowdsec-lapi-url: '${lapiUrl}' is not a URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new ConfigError(`--crowdsec-lapi-url: '${lapiUrl}' is not http or https`);
  const key = env["CHARON_AGENT_CROWDSEC_KEY"];
  if (!key) throw new ConfigError("CHARON_AGENT_CROWDSEC_KEY is required with --crowdsec-lapi-url: the bouncer's key (cscli bouncers add <name>)");
  return {
    lapiUrl: lapiUrl.replace(/\/+$/, "").replace(/\/v1$/, ""),
    key,
    intervalSeconds: number(interval ?? "10", "--crowdsec-interval", 1, 3600),
  };
}

function number(text: string, flag: string, min: number, max: number): number {
  if (!/^\d{1,6}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new ConfigError(`${flag}: '${text}' is not a whole number from ${min} to ${max}`);
  }
  return Number(text);
}

/**
 * Caddy's admin API accepts any configuration from whoever reaches it, so the agent only talks to
 * it on loopback.
 */
function isLoopbackAddress(address: string): boolean {
  const match = /^(?:\[([0-9a-fA-F:]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  if (!match || Number(match[3]) < 1 || Number(match[3]) > 65535) return false;
  const host = match[1] ?? match[2] ?? "";
  return host === "localhost" || (ipaddr.isValid(host) && ipaddr.parse(host).range() === "loopback");
}

/** The `nameserver` lines of /etc/resolv.conf (nginx does not read it itself). */
async function systemResolvers(): Promise<string[]> {
  const text = await readFile("/etc/resolv.conf", "utf8").catch(() => "");
  return [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => (m[1] ?? "").replace(/%.*$/, "")).filter((a) => isIP(a) !== 0);
}

async function wafInstalled(): Promise<boolean> {
  for (const path of Object.values(DEBIAN_WAF)) {
    if (!(await access(path).then(() => true, () => false))) return false;
  }
  return true;
}
