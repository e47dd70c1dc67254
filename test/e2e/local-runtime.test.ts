import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "@charon/local";

/**
 * `npm start` as a newcomer runs it: a real child process on its own data directory, with the
 * embedded DynamoDB Local (not the harness's), stopped with Ctrl-C (SIGINT).
 */
const dataDirectory = await mkdtemp(join(tmpdir(), "charon-start-"));
const bootstrapToken = "chrn_e2e_bootstrap_token_0123456789";
const running: ChildProcess[] = [];

async function start(port: number): Promise<{ child: ChildProcess; base: string; output: () => string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), CHARON_DATA_DIR: dataDirectory, CHARON_BOOTSTRAP_TOKEN: bootstrapToken };
  delete env.AWS_ENDPOINT_URL_DYNAMODB; // the server must start its own
  const child = spawn("npm", ["start", "--silent"], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  running.push(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  // Ready when it logs that it listens: the server writes that line after the table exists
  // and the bootstrap token is stored.
  await new Promise<void>((resolve, reject) => {
    const onData = () => output.includes("listening on") && resolve();
    child.stdout?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`npm start exited (${code}):\n${output}`)));
  });
  return { child, base: `http://127.0.0.1:${port}/api`, output: () => output };
}

/**
 * Ctrl-C as a terminal sends it: SIGINT to the whole foreground process group. npm itself exits
 * at once; the server holds the inherited stdout until it has stopped what it started, so the
 * pipe closing is the moment the whole tree is gone.
 */
async function interrupt(child: ChildProcess): Promise<void> {
  const gone = Promise.all([once(child, "exit"), once(child.stdout!, "close")]);
  process.kill(-child.pid!, "SIGINT");
  await gone;
}

async function javaProcessesUsing(directory: string): Promise<number> {
  let count = 0;
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes("DynamoDBLocal.jar") && cmdline.includes(directory)) count++;
  }
  return count;
}

afterAll(() => {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGKILL");
  }
});

describe("npm start", () => {
  it("serves health, accepts the bootstrap token, stops everything on Ctrl-C, and keeps its data", async () => {
    const first = await start(await freePort());
    const health = await fetch(`${first.base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });

    const authorised = await fetch(`${first.base}/v1/tokens`, { headers: { Authorization: `Bearer ${bootstrapToken}` } });
    expect(authorised.status).toBe(200);
    const unauthorised = await fetch(`${first.base}/v1/tokens`, { headers: { Authorization: "Bearer chrn_wrong" } });
    expect(unauthorised.status).toBe(401);

    // A token created in the first run must still work after a restart on the same directory.
    const created = await fetch(`${first.base}/v1/tokens`, {
      method: "POST",
      headers: { Authorization: `Bearer ${bootstrapToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "survives-restart", permission: "read" }),
    });
    expect(created.status).toBe(201);
    const { token } = (await created.json()) as { token: string };

    expect(await javaProcessesUsing(dataDirectory)).toBe(1);
    await interrupt(first.child);
    expect(first.output()).toContain("shutting down");
    expect(await javaProcessesUsing(dataDirectory)).toBe(0);

    const second = await start(await freePort());
    const again = await fetch(`${second.base}/v1/tokens`, { headers: { Authorization: `Bearer ${token}` } });
    expect(again.status).toBe(200);
    const names = ((await again.json()) as Array<{ name: string }>).map((t) => t.name);
    expect(names.filter((n) => n === "bootstrap")).toHaveLength(1); // idempotent across restarts
    expect(names).toContain("survives-restart");
    expect(second.output()).not.toContain(bootstrapToken);
    await interrupt(second.child);
  }, 120_000);
});
