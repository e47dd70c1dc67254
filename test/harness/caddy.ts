import { access, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { answersHttp, freePort, startProcess } from "@charon/local";

const MISSING_CADDY = "caddy is needed for the proxy agent's Caddy tests: apt-get install caddy";

/** `caddy` lives in /usr/bin on Debian; a PATH without it still finds it. */
export async function caddyBinary(): Promise<string> {
  return access("/usr/bin/caddy").then(
    () => "/usr/bin/caddy",
    () => "caddy",
  );
}

export interface RunningCaddy {
  /** The admin API, `127.0.0.1:port`: what the agent's `--caddy-admin` names. */
  adminAddress: string;
  stop(): Promise<void>;
}

/**
 * Runs Debian's Caddy in the foreground (no system service) as the current user, with a minimal
 * configuration: its admin API on a free loopback port and nothing else, until a driver loads one;
 * or `from` a driver's `caddy.json`, whose admin API is at `adminAddress`.
 * Its home, configuration and data directories are a private temporary one (Caddy autosaves each
 * loaded configuration there), removed by `stop()`.
 */
export async function startCaddy(from?: { configFile: string; adminAddress: string }): Promise<RunningCaddy> {
  const home = await mkdtemp(join(tmpdir(), "charon-caddy-"));
  const adminAddress = from?.adminAddress ?? `127.0.0.1:${await freePort()}`;
  const configFile = from?.configFile ?? join(home, "initial.json");
  if (!from) await writeFile(configFile, JSON.stringify({ admin: { listen: adminAddress } }));
  const { stop } = await startProcess({
    name: "caddy",
    command: await caddyBinary(),
    args: ["run", "--config", configFile],
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, "config"), XDG_DATA_HOME: join(home, "data") },
    missingMessage: MISSING_CADDY,
    ready: () => answersHttp(`http://${adminAddress}/config/`),
    timeoutMs: 30_000,
  });
  return {
    adminAddress,
    stop: async () => {
      await stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}
