import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { answersHttp, freePort, startProcess, type RunningService } from "@charon/local";

const run = promisify(execFile);

/**
 * Debian's CrowdSec unpacked into the checkout (`.ci/run` does it): its package's post-install
 * registers with CrowdSec's online service and fails offline, so it is never installed.
 */
const TOOLS = fileURLToPath(new URL("../../.tools/crowdsec", import.meta.url));
const CROWDSEC = join(TOOLS, "usr/bin/crowdsec");
const CSCLI = join(TOOLS, "usr/bin/cscli");

const MISSING = `CrowdSec is needed for the agent's bouncer tests, unpacked in ${TOOLS}: run .ci/run, or
  apt-get download crowdsec && dpkg-deb -x crowdsec_*.deb .tools/crowdsec`;

export interface RunningCrowdSec extends RunningService {
  /** The Local API's base URL (`http://127.0.0.1:<port>`), what `--crowdsec-lapi-url` takes. */
  lapiUrl: string;
  /** `cscli bouncers add <name> -k <key>`: a bouncer's key for the Local API. */
  addBouncer(name: string): Promise<string>;
  /** `cscli decisions add`: a ban (or `type`) on an address or a range, for `duration` (4h). */
  addDecision(target: { ip: string } | { range: string }, options?: { type?: string; duration?: string }): Promise<void>;
  /** `cscli decisions delete`: every decision on an address or a range. */
  deleteDecisions(target: { ip: string } | { range: string }): Promise<void>;
}

/**
 * CrowdSec's Local API alone (`crowdsec -no-cs`: no log acquisition, no hub, no online client)
 * with a SQLite database in a temporary directory, on a free loopback port; one machine
 * (`cscli machines add --auto`) so that `cscli decisions` works. `stop()` ends it and removes the
 * directory.
 */
export async function startCrowdSec(): Promise<RunningCrowdSec> {
  for (const program of [CROWDSEC, CSCLI]) await access(program).catch(() => Promise.reject(new Error(MISSING)));
  const home = await mkdtemp(join(tmpdir(), "charon-crowdsec-"));
  const port = await freePort();
  const lapiUrl = `http://127.0.0.1:${port}`;
  const config = join(home, "config.yaml");
  const credentials = join(home, "local_api_credentials.yaml");
  await mkdir(join(home, "data"));
  await mkdir(join(home, "hub"));
  await writeFile(join(home, "simulation.yaml"), "simulation: off\n");
  // Alerts become 4-hour bans of their address (Debian's profiles.yaml); `cscli decisions add` bypasses them.
  await writeFile(
    join(home, "profiles.yaml"),
    ["name: default_ip_remediation", "filters:", ' - Alert.Remediation == true && Alert.GetScope() == "Ip"', "decisions:", " - type: ban", "   duration: 4h", "on_success: break", ""].join("\n"),
  );
  await writeFile(credentials, `url: ${lapiUrl}\n`);
  await writeFile(
    config,
    [
      "common:",
      "  daemonize: false",
      "  log_media: stdout",
      "  log_level: warning",
      `  working_dir: ${home}`,
      "config_paths:",
      `  config_dir: ${home}/`,
      `  data_dir: ${home}/data/`,
      `  simulation_path: ${home}/simulation.yaml`,
      `  hub_dir: ${home}/hub/`,
      `  index_path: ${home}/hub/.index.json`,
      `  notification_dir: ${home}/notifications/`,
      `  plugin_dir: ${TOOLS}/usr/lib/crowdsec/plugins/`,
      "db_config:",
      "  log_level: warning",
      "  type: sqlite",
      `  db_path: ${home}/data/crowdsec.db`,
      "  use_wal: true",
      "api:",
      "  client:",
      `    credentials_path: ${credentials}`,
      "  server:",
      "    log_level: warning",
      `    listen_uri: 127.0.0.1:${port}`,
      `    profiles_path: ${home}/profiles.yaml`,
      "    trusted_ips: [127.0.0.1, '::1']",
      // No online_client: nothing is sent to or pulled from CrowdSec's Central API.
      "prometheus:",
      "  enabled: false",
      "",
    ].join("\n"),
  );
  const cscli = async (...args: string[]) => {
    try {
      return (await run(CSCLI, ["-c", config, ...args], { timeout: 60_000 })).stdout;
    } catch (error) {
      const failure = error as { stderr?: string; message: string };
      throw new Error(`cscli ${args.join(" ")}: ${failure.stderr?.trim() || failure.message}`, { cause: error });
    }
  };
  const { stop } = await startProcess({
    name: "crowdsec",
    command: CROWDSEC,
    args: ["-c", config, "-no-cs"],
    missingMessage: MISSING,
    // Without a key the stream answers 403: the Local API is up.
    ready: () => answersHttp(`${lapiUrl}/v1/decisions/stream`),
    timeoutMs: 60_000,
  });
  const stopAll = async () => {
    await stop();
    await rm(home, { recursive: true, force: true });
  };
  try {
    await cscli("machines", "add", "--auto", "-f", credentials);
  } catch (error) {
    await stopAll();
    throw error;
  }
  const targetArgs = (target: { ip: string } | { range: string }) => ("ip" in target ? ["--ip", target.ip] : ["--range", target.range]);
  return {
    endpoint: lapiUrl,
    port,
    lapiUrl,
    stop: stopAll,
    async addBouncer(name) {
      const key = randomBytes(16).toString("hex");
      await cscli("bouncers", "add", name, "-k", key);
      return key;
    },
    async addDecision(target, options = {}) {
      await cscli("decisions", "add", ...targetArgs(target), "--type", options.type ?? "ban", "--duration", options.duration ?? "4h");
    },
    async deleteDecisions(target) {
      await cscli("decisions", "delete", ...targetArgs(target));
    },
  };
}
