import { spawn } from "node:child_process";
import { once } from "node:events";

/** Generous: a cold DynamoDB Local on a busy CI machine takes a few seconds. */
const START_DEADLINE_MS = 60_000;

export interface StartedServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Everything the process tree printed so far. */
  output(): string;
  /** Ctrl-C, and wait until the whole tree is gone. */
  interrupt(): Promise<void>;
  /** SIGKILL to the whole tree (a crash: nothing gets to clean up), and wait until it is gone. */
  kill(): Promise<void>;
}

/**
 * `npm start` as a person runs it, in its own process group; resolves once the server logs that
 * it listens (it does so after the table exists and the bootstrap token is stored).
 */
export async function npmStart(env: NodeJS.ProcessEnv & { PORT: string }): Promise<StartedServer> {
  const child = spawn("npm", ["start", "--silent"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  // A server that never says it listens must not outlive the test, with DynamoDB Local's java
  // under it: past the deadline the whole group is killed and the output shown.
  let deadline: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("listening on")) resolve();
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    child.once("exit", (code) => reject(new Error(`npm start exited (${code}):\n${output}`)));
    deadline = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      reject(new Error(`npm start did not listen within ${START_DEADLINE_MS / 1000} s:\n${output}`));
    }, START_DEADLINE_MS);
  }).finally(() => clearTimeout(deadline));
  let stopped: Promise<void> | undefined;
  const signal = (name: NodeJS.Signals) =>
    (stopped ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = Promise.all([once(child, "exit"), once(child.stdout!, "close")]);
      process.kill(-child.pid!, name);
      await gone;
    })());
  return {
    origin: `http://127.0.0.1:${env.PORT}`,
    output: () => output,
    // SIGINT to the group, as a terminal sends it. npm exits at once; the server keeps the
    // inherited stdout until it has stopped what it started, so the pipe closing is the moment
    // the whole tree is gone.
    interrupt: () => signal("SIGINT"),
    kill: () => signal("SIGKILL"),
  };
}
