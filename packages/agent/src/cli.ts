import { readFile } from "node:fs/promises";
import { Agent, Wakeup, type AgentLogger } from "./agent.js";
import { loadOrCreateAgentKey } from "./agent-key.js";
import { ConfigError, USAGE, loadConfig } from "./config.js";
import { NginxDriver } from "./drivers/nginx/driver.js";

/** `charon-agent`: the configuration from flags and environment, the nginx driver, the loop. */
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
  const driver = new NginxDriver({
    confDir: config.nginx.confDir,
    runDir: `${config.nginx.confDir}/run`,
    nginxBin: config.nginx.bin,
    listenAddress: config.nginx.listenAddress,
    httpPort: config.nginx.httpPort,
    httpsPort: config.nginx.httpsPort,
    resolvers: config.nginx.resolvers,
    ...(config.nginx.reloadCommand ? { reloadCommand: config.nginx.reloadCommand } : {}),
    ...(config.nginx.user ? { user: config.nginx.user } : {}),
    ...(config.nginx.waf ? { waf: config.nginx.waf } : {}),
  });
  const key = await loadOrCreateAgentKey(config.stateDir);
  const agent = new Agent(config, driver, logger, version, key);
  logger.info("starting", {
    agent_id: config.agentId,
    api_url: config.apiUrl,
    driver: config.driver,
    nginx_conf: driver.mainConfigFile,
    waf: Boolean(config.nginx.waf),
    key_thumbprint: key.thumbprint,
  });
  if (config.once) return (await agent.pollOnce()) === "unreachable" ? 1 : 0;

  const stop = new AbortController();
  const wakeup = new Wakeup();
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => stop.abort());
  process.on("SIGHUP", () => wakeup.wake());
  await agent.run(stop.signal, wakeup);
  logger.info("stopped");
  return 0;
}

function jsonLogger(): AgentLogger {
  const line = (level: string) => (message: string, fields: Record<string, unknown> = {}) =>
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
  return { info: line("info"), warn: line("warn") };
}

process.exitCode = await main();
