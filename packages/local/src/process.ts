import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/** A child process the local runtime or the test harness started, and how to stop it. */
export interface RunningService {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Asks the kernel for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not allocate a port"));
      });
    });
  });
}

/**
 * Starts a long-running program and waits until `ready()` says it serves. Fails with
 * `missingMessage` when the program is not installed, and with its last output when it exits
 * early, so a person knows what to install or fix.
 */
export async function startProcess(options: {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** The umask the program starts with (its files' modes); default this process's. */
  umask?: number;
  missingMessage: string;
  ready: () => Promise<boolean>;
  timeoutMs?: number;
}): Promise<{ child: ChildProcess; stop: () => Promise<void> }> {
  // A child inherits the umask at spawn; nothing else runs between setting and restoring it.
  const previousUmask = options.umask === undefined ? undefined : process.umask(options.umask);
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } finally {
    if (previousUmask !== undefined) process.umask(previousUmask);
  }
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);

  const exited = new Promise<never>((_, reject) => {
    child.once("error", (error: NodeJS.ErrnoException) => {
      reject(new Error(error.code === "ENOENT" ? options.missingMessage : `${options.name}: ${error.message}`));
    });
    child.once("exit", (code, signal) => {
      reject(new Error(`${options.name} exited (${signal ?? code}) before it was ready:\n${output.trim()}`));
    });
  });

  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 5000).unref();
    });

  // Probe readiness only once the program runs: a missing binary reports itself as an
  // "error" event after spawn() returns, and must win over a probe that happens to succeed.
  const spawned = new Promise<void>((resolve) => child.once("spawn", () => resolve()));
  try {
    await Promise.race([exited, spawned]);
    await Promise.race([exited, waitUntil(options.ready, options.timeoutMs ?? 60_000, options.name)]);
  } catch (error) {
    await stop();
    throw error;
  }
  exited.catch(() => undefined);
  return { child, stop };
}

/** Polls `check` with a short back-off until it returns true; the readiness probe of a child. */
async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, name: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; Date.now() < deadline; delay = Math.min(delay * 2, 500)) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  throw new Error(`${name} did not become ready within ${timeoutMs / 1000} s`);
}

/** True when something answers HTTP at `url`, whatever the status. */
export async function answersHttp(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
  await response.body?.cancel();
  return true;
}
