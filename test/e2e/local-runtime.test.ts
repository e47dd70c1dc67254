import { createServer } from "node:net";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "@charon/local";
import { npmStart, type StartedServer } from "../support/npm-start.js";

/**
 * `npm start` as a newcomer runs it: a real process tree on its own data directory, with its own
 * embedded DynamoDB Local (not the harness's), stopped with Ctrl-C.
 */
const dataDirectory = await mkdtemp(join(tmpdir(), "charon-start-"));
const bootstrapToken = "chrn_e2e_bootstrap_token_0123456789";
const started: StartedServer[] = [];

async function start(): Promise<StartedServer> {
  const server = await npmStart({
    PORT: String(await freePort()),
    CHARON_DATA_DIR: dataDirectory,
    CHARON_BOOTSTRAP_TOKEN: bootstrapToken,
    AWS_ENDPOINT_URL_DYNAMODB: "", // the server must start its own
  });
  started.push(server);
  return server;
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

afterAll(() => Promise.all(started.map((server) => server.interrupt())));

describe("npm start", () => {
  it("serves health, accepts the bootstrap token, stops everything on Ctrl-C, and keeps its data", async () => {
    const first = await start();
    const api = `${first.origin}/api`;
    const health = await fetch(`${api}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });

    const authorised = await fetch(`${api}/v1/tokens`, { headers: { Authorization: `Bearer ${bootstrapToken}` } });
    expect(authorised.status).toBe(200);
    const unauthorised = await fetch(`${api}/v1/tokens`, { headers: { Authorization: "Bearer chrn_wrong" } });
    expect(unauthorised.status).toBe(401);

    // A token created in the first run must still work after a restart on the same directory.
    const created = await fetch(`${api}/v1/tokens`, {
      method: "POST",
      headers: { Authorization: `Bearer ${bootstrapToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "survives-restart", permission: "read" }),
    });
    expect(created.status).toBe(201);
    const { token } = (await created.json()) as { token: string };

    expect(await javaProcessesUsing(dataDirectory)).toBe(1);
    await first.interrupt();
    expect(first.output()).toContain("shutting down");
    expect(await javaProcessesUsing(dataDirectory)).toBe(0);

    const second = await start();
    const again = await fetch(`${second.origin}/api/v1/tokens`, { headers: { Authorization: `Bearer ${token}` } });
    expect(again.status).toBe(200);
    const names = ((await again.json()) as Array<{ name: string }>).map((t) => t.name);
    expect(names.filter((n) => n === "bootstrap")).toHaveLength(1); // idempotent across restarts
    expect(names).toContain("survives-restart");
    expect(second.output()).not.toContain(bootstrapToken);
    await second.interrupt();
  }, 120_000);

  it("says in one line that its port is taken, exits 1, and leaves no DynamoDB Local behind", async () => {
    const occupant = createServer();
    await new Promise<void>((resolve) => occupant.listen(0, "127.0.0.1", resolve));
    const port = (occupant.address() as { port: number }).port;
    const otherDirectory = await mkdtemp(join(tmpdir(), "charon-start-taken-"));
    try {
      const failure = await npmStart({ PORT: String(port), CHARON_DATA_DIR: otherDirectory, AWS_ENDPOINT_URL_DYNAMODB: "" }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(String(failure)).toContain("npm start exited (1)");
      expect(String(failure)).toContain(`Port ${port} on 127.0.0.1 is in use: stop what listens there, or start on another port (PORT=8181 npm start)`);
      expect(String(failure)).not.toContain("Unhandled 'error' event");
      expect(await javaProcessesUsing(otherDirectory)).toBe(0);
    } finally {
      occupant.close();
      await rm(otherDirectory, { recursive: true, force: true });
    }
  }, 120_000);
});
