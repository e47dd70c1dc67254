import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { LocalSecretStore } from "@charon/local";

const run = promisify(execFile);

describe("npm run rotate-encryption-key", () => {
  it("re-seals every secret under the new key, after which the old key can go", async () => {
    const dataDirectory = await mkdtemp(join(tmpdir(), "charon-rotate-"));
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    const before = new LocalSecretStore({ dataDirectory, key: oldKey });
    await before.create("dns-credentials/1/1/a", { api_token: "first" });
    await before.create("dns-credentials/1/2/b", { api_token: "second" });

    const { stdout } = await run("npm", ["run", "--silent", "rotate-encryption-key"], {
      env: {
        ...process.env,
        CHARON_DATA_DIR: dataDirectory,
        CHARON_ENCRYPTION_KEY: newKey.toString("base64"),
        CHARON_ENCRYPTION_KEY_PREVIOUS: oldKey.toString("base64"),
      },
    });
    expect(stdout).toContain("Re-sealed 2 secret(s)");

    const after = new LocalSecretStore({ dataDirectory, key: newKey });
    expect(await after.get("dns-credentials/1/1/a")).toEqual({ api_token: "first" });
    expect(await after.get("dns-credentials/1/2/b")).toEqual({ api_token: "second" });
  });
});
