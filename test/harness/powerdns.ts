import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { answersHttp, freePort, startProcess, type RunningService } from "@charon/local";

const MISSING_POWERDNS = "PowerDNS is needed for the DNS tests: apt-get install pdns-server pdns-backend-sqlite3";
const MISSING_SQLITE = "sqlite3 is needed to create PowerDNS's database for the DNS tests: apt-get install sqlite3";

/** Where Debian's pdns-backend-sqlite3 ships the schema. */
const SCHEMA_CANDIDATES = [
  "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql",
  "/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql",
];

const exists = (path: string) => access(path).then(() => true, () => false);

/** `pdns_server` lives in /usr/sbin, which is not on every user's PATH. */
async function pdnsCommand(): Promise<string> {
  return (await exists("/usr/sbin/pdns_server")) ? "/usr/sbin/pdns_server" : "pdns_server";
}

async function schemaFile(): Promise<string> {
  for (const candidate of SCHEMA_CANDIDATES) {
    if (await exists(candidate)) return candidate;
  }
  throw new Error(MISSING_POWERDNS);
}

/** Creates a fresh database from the packaged schema with the sqlite3 command. */
async function createDatabase(path: string, schema: string): Promise<void> {
  try {
    await promisify(execFile)("sqlite3", [path, `.read ${schema}`]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new Error(MISSING_SQLITE);
    throw new Error(`Could not create PowerDNS's database: ${(error as Error).message}`);
  }
}

/**
 * Starts PowerDNS Authoritative (gsqlite3 backend, HTTP API on) in the foreground on free loopback
 * ports with a throw-away configuration directory and database, removed again by `stop()`.
 * `endpoint` is the web server's base URL (the adapters' `api_url`); `dnsPort` is the loopback
 * UDP/TCP port it answers DNS queries on (propagation checks, Pebble's `-dnsserver`).
 */
export async function startPowerDns(): Promise<RunningService & { apiKey: string; dnsPort: number }> {
  const schema = await schemaFile();
  const directory = await mkdtemp(join(tmpdir(), "charon-pdns-"));
  try {
    const apiKey = randomBytes(24).toString("hex");
    const [webPort, dnsPort] = await Promise.all([freePort(), freePort()]);
    const database = join(directory, "pdns.sqlite3");
    await createDatabase(database, schema);
    await writeFile(
      join(directory, "pdns.conf"),
      [
        "launch=gsqlite3",
        `gsqlite3-database=${database}`,
        "api=yes",
        `api-key=${apiKey}`,
        "webserver=yes",
        "webserver-address=127.0.0.1",
        `webserver-port=${webPort}`,
        "webserver-allow-from=127.0.0.1",
        // Two addresses, so that tests can give a zone two authoritative name servers.
        "local-address=127.0.0.1,127.0.0.2",
        `local-port=${dnsPort}`,
        `socket-dir=${directory}`,
        "guardian=no",
        "daemon=no",
        "disable-syslog=yes",
        // No security-status lookups over the network, no zone notifications.
        "security-poll-suffix=",
        "disable-axfr=yes",
        "",
      ].join("\n"),
    );
    const endpoint = `http://127.0.0.1:${webPort}`;
    const { stop } = await startProcess({
      name: "PowerDNS",
      command: await pdnsCommand(),
      args: [`--config-dir=${directory}`],
      missingMessage: MISSING_POWERDNS,
      ready: () => answersHttp(`${endpoint}/api/v1/servers`),
      timeoutMs: 30_000,
    });
    return {
      endpoint,
      port: webPort,
      apiKey,
      dnsPort,
      stop: async () => {
        await stop();
        await rm(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

/** Creates a native zone (`name` without the trailing dot) through PowerDNS's HTTP API; throws unless 201. */
export async function createPowerDnsZone(powerdns: { endpoint: string; apiKey: string }, name: string): Promise<void> {
  const response = await fetch(`${powerdns.endpoint}/api/v1/servers/localhost/zones`, {
    method: "POST",
    headers: { "x-api-key": powerdns.apiKey, "content-type": "application/json" },
    body: JSON.stringify({ name: `${name}.`, kind: "Native", nameservers: [`ns1.${name}.`] }),
  });
  if (response.status !== 201) throw new Error(`creating the zone ${name} in PowerDNS: ${response.status} ${await response.text()}`);
}
