import { chmod, mkdtemp, readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalRuntime } from "@charon/runtime/local";
import { capturingLogger } from "../support/dns-app.js";

/**
 * Issue 8 §7: what `npm start` writes (DynamoDB Local's database: token hashes and the audit log;
 * the encrypted secret store and its key) is readable by its owner alone, under the common
 * umask 022, and a data directory left world-readable by an earlier version is tightened.
 */
let root: string;
const previousUmask = process.umask(0o022);
const previousEndpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "charon-data-"));
});
afterAll(() => {
  process.umask(previousUmask);
  process.env.AWS_ENDPOINT_URL_DYNAMODB = previousEndpoint;
});

/** `npm start`'s runtime on `dataDirectory`: its own DynamoDB Local, a secret written, stopped. */
async function runOnce(dataDirectory: string): Promise<void> {
  const runtime = await startLocalRuntime(
    { dataDirectory, tableName: "charon", bootstrapToken: `chrn_${"b".repeat(32)}`, dynamodbEndpoint: undefined },
    capturingLogger().logger,
  );
  try {
    // A provider's credential: a sealed secret file and, on first use, the generated key file.
    const provider = await runtime.services.dnsProviders.create(
      { name: `Files ${Math.random()}`, type: "cloudflare", meta: { CF_API_TOKEN: "file-mode-token" } },
      { user: "test", ipAddress: null, via: "api" },
    );
    expect(provider).toBeDefined();
  } finally {
    await runtime.stop();
  }
}

/** Mode bits of every file and directory under `path` (relative name → octal string). */
async function modes(path: string, prefix = "."): Promise<Record<string, string>> {
  const found: Record<string, string> = { [prefix]: ((await stat(path)).mode & 0o777).toString(8) };
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) Object.assign(found, await modes(full, `${prefix}/${entry.name}`));
    else found[`${prefix}/${entry.name}`] = ((await stat(full)).mode & 0o777).toString(8);
  }
  return found;
}

describe("the data directory of npm start", () => {
  // DynamoDB Local (Java) starts in each run: slow on a busy machine.
  const JAVA_START = 120_000;
  let dataDirectory: string;

  it("is 0700 with 0600 files when created under umask 022", async () => {
    dataDirectory = join(root, "nested", ".charon");
    await runOnce(dataDirectory);
    const found = await modes(dataDirectory);
    expect(Object.keys(found)).toEqual(expect.arrayContaining(["./dynamodb", "./dynamodb/shared-local-instance.db", "./encryption-key", "./secrets"]));
    for (const [name, mode] of Object.entries(found)) {
      const directory = (await stat(join(dataDirectory, name))).isDirectory();
      expect(mode, name).toBe(directory ? "700" : "600");
    }
    expect(((await stat(join(root, "nested"))).mode & 0o777).toString(8)).toBe("700");
  }, JAVA_START);

  it("tightens a world-readable directory and database an earlier version left", async () => {
    // As an earlier version left them under umask 022.
    await chmod(dataDirectory, 0o755);
    await chmod(join(dataDirectory, "dynamodb"), 0o755);
    await chmod(join(dataDirectory, "dynamodb", "shared-local-instance.db"), 0o644);
    await runOnce(dataDirectory);
    const found = await modes(dataDirectory);
    expect(found["."]).toBe("700");
    expect(found["./dynamodb"]).toBe("700");
    expect(found["./dynamodb/shared-local-instance.db"]).toBe("600");
  }, JAVA_START);
});
