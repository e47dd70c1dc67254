import { spawn } from "node:child_process";
import { once } from "node:events";

export interface StartedServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Everything the process tree printed so far. */
  output(): string;
  /** Ctrl-C, and wait until the whole tree is gone. */
  interrupt(): Promise<void>;
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
  await new Promise<void>((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("listening on")) resolve();
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    child.once("exit", (code) => reject(new Error(`npm start exited (${code}):\n${output}`)));
  });
  let stopped: Promise<void> | undefined;
  return {
    origin: `http://127.0.0.1:${env.PORT}`,
    output: () => output,
    // SIGINT to the group, as a terminal sends it. npm exits at once; the server keeps the
    // inherited stdout until it has stopped what it started, so the pipe closing is the moment
    // the whole tree is gone.
    interrupt: () =>
      (stopped ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const gone = Promise.all([once(child, "exit"), once(child.stdout!, "close")]);
        process.kill(-child.pid!, "SIGINT");
        await gone;
      })()),
  };
}
