/**
 * `npm run bootstrap-token`: the operator of a fresh AWS deployment gets its first full-access
 * token with the stage's AWS credentials (here DynamoDB Local, through AWS_ENDPOINT_URL_DYNAMODB),
 * and that token works against the API on the same table.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { createDynamoTable, ensureTable } from "@charon/aws";
import { createApp } from "@charon/api";
import { createServices } from "@charon/runtime";
import { silentLogger } from "../../../test/support/api.js";

const run = promisify(execFile);

/** The command as the README shows it, with the arguments after `--`. */
async function bootstrapToken(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("npm", ["run", "--silent", "bootstrap-token", "--", ...args], {
      env: process.env,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A table named as SST names a stage's table (`<app>-<stage>-<name>Table-<suffix>`). */
async function deployedTable(stage: string): Promise<string> {
  const name = `charon-${stage}-TableTable-${randomBytes(4).toString("hex")}`;
  const table = createDynamoTable(name);
  await ensureTable(table.client, table.name);
  return name;
}

const freshStage = () => `stage${randomBytes(4).toString("hex")}`;

async function get(tableName: string, path: string, token: string) {
  const app = createApp({ services: createServices({ table: createDynamoTable(tableName) }), logger: silentLogger });
  const response = await app.request(path, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as unknown };
}

describe("npm run bootstrap-token", () => {
  it("finds the stage's table and prints, once, a full-access token the API accepts, audited as the operator's", async () => {
    const stage = freshStage();
    const tableName = await deployedTable(stage);
    const result = await bootstrapToken("--stage", stage);
    expect(result.code).toBe(0);
    const value = result.stdout.trim();
    expect(value).toMatch(/^chrn_[A-Za-z0-9_-]{43}$/);
    expect(result.stderr).toContain(tableName);
    expect(result.stderr).not.toContain(value);

    const tokens = await get(tableName, "/api/v1/tokens", value);
    expect(tokens.status).toBe(200);
    expect(tokens.body).toEqual([expect.objectContaining({ name: "bootstrap", permission: "full", expires_at: null })]);
    // Full access: it may read every resource type, e.g. the audit log, which shows who made it.
    const audit = await get(tableName, "/api/v1/audit-logs?action=api_token_created", value);
    expect(audit.status).toBe(200);
    expect(JSON.stringify(audit.body)).toMatch(/"user":"bootstrap-token \([^)]+\)"/);
    expect(JSON.stringify(audit.body)).not.toContain(value);
  });

  it("takes the table by name and the token's name, and makes a new token each run", async () => {
    const tableName = await deployedTable(freshStage());
    const first = await bootstrapToken("--table", tableName, "--name", "ops laptop");
    const second = await bootstrapToken("--table", tableName, "--name", "ops laptop");
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(first.stdout).not.toBe(second.stdout);
    const tokens = await get(tableName, "/api/v1/tokens", second.stdout.trim());
    expect((tokens.body as Array<{ name: string }>).map((t) => t.name)).toEqual(["ops laptop", "ops laptop"]);
  });

  it("refuses, saying what to do, when the stage has no table, when two match, or when no deployment is named", async () => {
    const missing = await bootstrapToken("--stage", freshStage());
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe("");
    expect(missing.stderr).toMatch(/No table named charon-stage[0-9a-f]+-Table… .*npx sst deploy --stage/);

    const stage = freshStage();
    const [a, b] = [await deployedTable(stage), await deployedTable(stage)];
    const ambiguous = await bootstrapToken("--stage", stage);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain(a);
    expect(ambiguous.stderr).toContain(b);
    expect(ambiguous.stderr).toContain("pass --table");

    const unnamed = await bootstrapToken();
    expect(unnamed.code).toBe(1);
    expect(unnamed.stderr).toContain("--stage <stage>");

    const unknown = await bootstrapToken("--stag", "x");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("'--stag'");
    expect(unknown.stderr).toContain("Usage: npm run -s bootstrap-token");
  });

  it("prints its usage for --help and -h, on stdout, and exits 0 without touching any table", async () => {
    for (const flag of ["--help", "-h"]) {
      const help = await bootstrapToken(flag);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: npm run -s bootstrap-token -- \(--stage <stage> \| --table <table name>\)/);
      for (const option of ["--stage", "--table", "--name", "--help"]) expect(help.stdout).toContain(option);
      expect(help.stdout).not.toMatch(/chrn_/);
    }
  });
});
