import { readFile } from "node:fs/promises";
import { Agent, Wakeup, type AgentLogger } from "./agent.js";
import { loadOrCreateAgentKey } from "./agent-key.js";
import { ConfigError, USAGE, loadConfig, type AgentConfig } from "./config.js";
import { CaddyDriver } from "./drivers/caddy/driver.js";
import type { ProxyDriver } from "./drivers/driver.js";
import { Bouncer, type DenyListTarget } from "./crowdsec/bouncer.js";
import { NginxDriver } from "./drivers/nginx/driver.js";

/** `charon-agent`: the configuration from flags and environment, the driver (nginx or Caddy), the loop. */
async function main(): Promise<number> {
  let config;
  try {
    config = await loadConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`charon-agent: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (config === null) {
    process.stdout.write(USAGE);
    return 0;
  }
  const { version } = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  const logger = jsonLogger();
  const { driver, where, denyTarget } = proxyDriver(config);
  const key = await loadOrCreateAgentKey(config.stateDir);
  const agent = new Agent(config, driver, logger, version, key);
  const bouncer = config.crowdsec && denyTarget ? new Bouncer(config.crowdsec, denyTarget, logger, () => agent.report()) : undefined;
  if (bouncer) agent.watch(bouncer);
  logger.info("starting", {
    agent_id: config.agentId,
    api_url: config.apiUrl,
    driver: config.driver,
    ...where,
    waf: config.driver === "nginx" && Boolean(config.nginx.waf),
    crowdsec_lapi_url: config.crowdsec?.lapiUrl ?? null,
    key_thumbprint: key.thumbprint,
  });
  if (config.once) {
    const outcome = await agent.pollOnce();
    const pulled = bouncer ? await bouncer.pullOnce() : "unchanged";
    return outcome === "unreachable" || pulled === "unreachable" ? 1 : 0;
  }

  const stop = new AbortController();
  const wakeup = new Wakeup();
  const bouncerWakeup = new Wakeup();
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => stop.abort());
  process.on("SIGHUP", () => {
    wakeup.wake();
    bouncerWakeup.wake();
  });
  await Promise.all([agent.run(stop.signal, wakeup), bouncer?.run(stop.signal, bouncerWakeup)]);
  logger.info("stopped");
  return 0;
}

/** The configured driver, where its configuration is (logged at start), and what enforces CrowdSec's bans. */
function proxyDriver(config: AgentConfig): { driver: ProxyDriver; where: Record<string, string>; denyTarget?: DenyListTarget } {
  const { listenAddress, httpPort, httpsPort, resolvers } = config.nginx;
  if (config.driver === "caddy") {
    const driver = new CaddyDriver({ confDir: config.caddy.confDir, adminAddress: config.caddy.adminAddress, caddyBin: config.caddy.bin, listenAddress, httpPort, httpsPort, resolvers });
    return { driver, where: { caddy_admin: config.caddy.adminAddress, caddy_config: driver.configFile }, denyTarget: driver };
  }
  const driver = new NginxDriver({
    confDir: config.nginx.confDir,
    runDir: `${config.nginx.confDir}/run`,
    nginxBin: config.nginx.bin,
    listenAddress,
    httpPort,
    httpsPort,
    resolvers,
    ...(config.nginx.reloadCommand ? { reloadCommand: config.nginx.reloadCommand } : {}),
    ...(config.nginx.user ? { user: config.nginx.user } : {}),
    ...(config.nginx.waf ? { waf: config.nginx.waf } : {}),
    ...(config.crowdsec ? { crowdsec: true } : {}),
  });
  return { driver, where: { nginx_conf: driver.mainConfigFile }, denyTarget: driver };
}

function jsonLogger(): AgentLogger {
  const line = (level: string) => (message: string, fields: Record<string, unknown> = {}) =>
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
  return { info: line("info"), warn: line("warn") };
}

process.exitCode = await main();
