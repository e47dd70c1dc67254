import { access } from "node:fs/promises";
import { connect } from "node:net";
import { startProcess, type RunningService } from "@charon/local";

const MISSING_NGINX =
  "nginx is needed for the proxy agent's tests: apt-get install nginx-light libnginx-mod-http-modsecurity modsecurity-crs";

/** Debian's ModSecurity v3 module for nginx and the OWASP Core Rule Set (what the agent's WAF loads). */
export const DEBIAN_WAF = {
  module: "/usr/lib/nginx/modules/ngx_http_modsecurity_module.so",
  crsSetup: "/etc/modsecurity/crs/crs-setup.conf",
  crsRules: "/usr/share/modsecurity-crs/rules",
};

/** `nginx` lives in /usr/sbin, which is not on every user's PATH. */
export async function nginxBinary(): Promise<string> {
  return access("/usr/sbin/nginx").then(
    () => "/usr/sbin/nginx",
    () => "nginx",
  );
}

/** Fails with what to install when the WAF's module or rules are missing. */
export async function requireWaf(): Promise<typeof DEBIAN_WAF> {
  for (const path of Object.values(DEBIAN_WAF)) {
    await access(path).catch(() => {
      throw new Error(`${path} is missing: ${MISSING_NGINX}`);
    });
  }
  return DEBIAN_WAF;
}

/**
 * nginx's `user` directive for a test run: as root the workers would otherwise drop to `nobody`,
 * who cannot enter the run's private temporary directories; as anyone else there is nothing to set.
 */
export function nginxWorkerUser(): string | undefined {
  return process.getuid?.() === 0 ? "root" : undefined;
}

/**
 * Runs nginx in the foreground (no daemon, no system service) as the current user with the main
 * file `configFile`, which names its own pid file, logs and loopback ports. Ready once it accepts
 * connections on `httpPort`. `stop()` ends it (SIGTERM, then SIGKILL).
 */
export async function startNginx(options: { configFile: string; httpPort: number; host?: string }): Promise<RunningService> {
  const host = options.host ?? "127.0.0.1";
  const { stop } = await startProcess({
    name: "nginx",
    command: await nginxBinary(),
    args: ["-c", options.configFile, "-g", "daemon off;"],
    missingMessage: MISSING_NGINX,
    ready: () => acceptsConnections(host, options.httpPort),
    timeoutMs: 30_000,
  });
  return { endpoint: `http://${host}:${options.httpPort}`, port: options.httpPort, stop };
}

/** True once something accepts a TCP connection (nginx's default server closes it unanswered). */
function acceptsConnections(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}
