import { createHash, randomBytes, randomUUID } from "node:crypto";
import { copyFile, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SecretStoreError } from "@charon/core";
import {
  EncryptionKeyError,
  KEY_FILE,
  LocalSecretStore,
  MalformedSecretRecordError,
  PREVIOUS_KEYS_FILE,
  SecretDecryptionError,
} from "@charon/local";
import { collect, expectNoSecretIn, secretStoreContract } from "../../../test/contracts/secret-store.contract.js";

const directories: string[] = [];
async function dataDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "charon-secrets-"));
  directories.push(directory);
  return directory;
}
afterAll(() => Promise.all(directories.map((d) => rm(d, { recursive: true, force: true }))));

const key = () => randomBytes(32);
const keyId = (k: Buffer) => createHash("sha256").update(k).digest("hex").slice(0, 16);
const fileOf = (directory: string, name: string) =>
  join(directory, "secrets", createHash("sha256").update(name).digest("hex"));
const secret = () => ({ api_token: `s3cr3t-${randomUUID()}` });
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e);

secretStoreContract("LocalSecretStore", async () => new LocalSecretStore({ dataDirectory: await dataDirectory() }));

describe("LocalSecretStore on disk", () => {
  it("writes one owner-only file per secret, sealed, with no plaintext", async () => {
    const directory = await dataDirectory();
    const store = new LocalSecretStore({ dataDirectory: directory, key: key() });
    const value = secret();
    await store.create("dns-credentials/1/42/n1", value);

    const path = fileOf(directory, "dns-credentials/1/42/n1");
    expect(await readdir(join(directory, "secrets"))).toEqual([path.split("/").pop()]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(directory, "secrets"))).mode & 0o777).toBe(0o700);

    const text = await readFile(path, "utf8");
    expect(text).not.toContain(value.api_token);
    expect(text).not.toContain(Buffer.from(JSON.stringify(value)).toString("base64"));
    const record = JSON.parse(text) as Record<string, string>;
    expect(Object.keys(record).sort()).toEqual(["ciphertext", "created_at", "iv", "key_id", "name", "tag"]);
    expect(record["name"]).toBe("dns-credentials/1/42/n1");
    expect(record["created_at"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Buffer.from(record["iv"] ?? "", "base64")).toHaveLength(12);
    expect(Buffer.from(record["tag"] ?? "", "base64")).toHaveLength(16);
  });

  it("uses a fresh IV for every write", async () => {
    const directory = await dataDirectory();
    const store = new LocalSecretStore({ dataDirectory: directory, key: key() });
    await store.create("a", { same: "value" });
    await store.create("b", { same: "value" });
    const a = JSON.parse(await readFile(fileOf(directory, "a"), "utf8")) as Record<string, string>;
    const b = JSON.parse(await readFile(fileOf(directory, "b"), "utf8")) as Record<string, string>;
    expect(a["iv"]).not.toBe(b["iv"]);
    expect(a["ciphertext"]).not.toBe(b["ciphertext"]);
  });

  it("binds each record to its name: a file copied to another name's path does not open", async () => {
    const directory = await dataDirectory();
    const store = new LocalSecretStore({ dataDirectory: directory, key: key() });
    const value = secret();
    await store.create("original", value);
    await copyFile(fileOf(directory, "original"), fileOf(directory, "impostor"));

    const error = await failure(store.get("impostor"));
    expect(error).toBeInstanceOf(SecretDecryptionError);
    expect((error as Error).message).toMatch(/^cannot decrypt secret 'impostor': it does not authenticate/);
    expectNoSecretIn(error, value);

    // Relabelling the copy does not help: the name is authenticated, not the label.
    const record = JSON.parse(await readFile(fileOf(directory, "impostor"), "utf8")) as Record<string, string>;
    await writeFile(fileOf(directory, "impostor"), JSON.stringify({ ...record, name: "impostor" }));
    expect(await failure(store.get("impostor"))).toBeInstanceOf(SecretDecryptionError);
    expect(await store.get("original")).toEqual(value);
  });

  it("reports an altered ciphertext without revealing the value", async () => {
    const directory = await dataDirectory();
    const store = new LocalSecretStore({ dataDirectory: directory, key: key() });
    const value = secret();
    await store.create("altered", value);
    const path = fileOf(directory, "altered");
    const record = JSON.parse(await readFile(path, "utf8")) as Record<string, string>;
    const bytes = Buffer.from(record["ciphertext"] ?? "", "base64");
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    await writeFile(path, JSON.stringify({ ...record, ciphertext: bytes.toString("base64") }));

    const error = await failure(store.get("altered"));
    expect(error).toBeInstanceOf(SecretDecryptionError);
    expectNoSecretIn(error, value);
  });

  it("reports a file that is not a record, and one listed under the wrong name", async () => {
    const directory = await dataDirectory();
    const store = new LocalSecretStore({ dataDirectory: directory, key: key() });
    await store.create("real", secret());
    await writeFile(fileOf(directory, "broken"), "not json");
    expect(await failure(store.get("broken"))).toBeInstanceOf(MalformedSecretRecordError);

    await rm(fileOf(directory, "broken"));
    await copyFile(fileOf(directory, "real"), fileOf(directory, "moved"));
    const error = await failure(collect(store.list("")));
    expect(error).toBeInstanceOf(MalformedSecretRecordError);
    expect((error as Error).message).toContain("is not the hash of its secret name");
  });

  it("skips temporary files when listing", async () => {
    const directory = await dataDirectory();
    const store = new LocalSecretStore({ dataDirectory: directory, key: key() });
    await store.create("listed", secret());
    await writeFile(join(directory, "secrets", ".leftover.tmp"), "partial");
    expect((await collect(store.list(""))).map((s) => s.name)).toEqual(["listed"]);
  });
});

describe("LocalSecretStore keys", () => {
  it("generates an owner-only key file on first write and reuses it", async () => {
    const directory = await dataDirectory();
    const first = LocalSecretStore.fromEnvironment(directory, {});
    expect(await first.get("nothing")).toBeUndefined();
    await expect(stat(join(directory, KEY_FILE))).rejects.toThrow(/ENOENT/);

    const value = secret();
    await first.create("kept", value);
    const keyFile = join(directory, KEY_FILE);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const keyText = await readFile(keyFile, "utf8");
    expect(Buffer.from(keyText.trim(), "base64")).toHaveLength(32);

    const second = LocalSecretStore.fromEnvironment(directory, {});
    expect(await second.get("kept")).toEqual(value);
    await second.create("also", secret());
    expect(await readFile(keyFile, "utf8")).toBe(keyText);
  });

  it("settles on one generated key when two stores start at once", async () => {
    const directory = await dataDirectory();
    const stores = Array.from({ length: 4 }, () => new LocalSecretStore({ dataDirectory: directory }));
    const values = stores.map(() => secret());
    await Promise.all(stores.map((store, i) => store.create(`concurrent/${i}`, values[i] ?? {})));
    const reader = new LocalSecretStore({ dataDirectory: directory });
    for (const [i, value] of values.entries()) expect(await reader.get(`concurrent/${i}`)).toEqual(value);
  });

  it("reads with previous keys, rotates to the current key, then needs only that", async () => {
    const directory = await dataDirectory();
    const [a, b] = [key(), key()];
    const value = secret();
    await new LocalSecretStore({ dataDirectory: directory, key: a }).create("rotated", value);

    const missingA = await failure(new LocalSecretStore({ dataDirectory: directory, key: b }).get("rotated"));
    expect(missingA).toBeInstanceOf(SecretDecryptionError);
    expect((missingA as Error).message).toBe(
      `cannot decrypt secret 'rotated': it was encrypted with key ${keyId(a)}, which is not configured`,
    );
    expectNoSecretIn(missingA, value);

    const both = new LocalSecretStore({ dataDirectory: directory, key: b, previousKeys: [a] });
    expect(await both.get("rotated")).toEqual(value);
    const before = JSON.parse(await readFile(fileOf(directory, "rotated"), "utf8")) as Record<string, string>;
    expect(await both.rotate()).toBe(1);
    expect(await both.rotate()).toBe(0);
    const after = JSON.parse(await readFile(fileOf(directory, "rotated"), "utf8")) as Record<string, string>;
    expect(after["key_id"]).toBe(keyId(b));
    expect(after["created_at"]).toBe(before["created_at"]);
    expect((await stat(fileOf(directory, "rotated"))).mode & 0o777).toBe(0o600);

    expect(await new LocalSecretStore({ dataDirectory: directory, key: b }).get("rotated")).toEqual(value);
    const onlyA = await failure(new LocalSecretStore({ dataDirectory: directory, key: a }).get("rotated"));
    expect((onlyA as Error).message).toContain(`encrypted with key ${keyId(b)}, which is not configured`);
  });

  it("takes keys from CHARON_ENCRYPTION_KEY and CHARON_ENCRYPTION_KEY_PREVIOUS", async () => {
    const directory = await dataDirectory();
    const [a, b, c] = [key(), key(), key()];
    const value = secret();
    await LocalSecretStore.fromEnvironment(directory, { CHARON_ENCRYPTION_KEY: a.toString("base64") }).create(
      "from-env",
      value,
    );
    const rotating = LocalSecretStore.fromEnvironment(directory, {
      CHARON_ENCRYPTION_KEY: ` ${c.toString("base64")}\n`,
      CHARON_ENCRYPTION_KEY_PREVIOUS: `${b.toString("base64")}, ${a.toString("base64")},`,
    });
    expect(await rotating.get("from-env")).toEqual(value);
    expect(await rotating.rotate()).toBe(1);
    const current = LocalSecretStore.fromEnvironment(directory, { CHARON_ENCRYPTION_KEY: c.toString("base64") });
    expect(await current.get("from-env")).toEqual(value);
    // No key file is made while a key is configured.
    await expect(stat(join(directory, KEY_FILE))).rejects.toThrow(/ENOENT/);
  });

  it("keeps reading the generated key file's records once a key is configured", async () => {
    const directory = await dataDirectory();
    const value = secret();
    await new LocalSecretStore({ dataDirectory: directory }).create("before", value);
    const configured = new LocalSecretStore({ dataDirectory: directory, key: key() });
    expect(await configured.get("before")).toEqual(value);
    expect(await configured.rotate()).toBe(1);
  });

  it("accepts retired keys listed in the previous-keys file", async () => {
    const directory = await dataDirectory();
    const value = secret();
    await new LocalSecretStore({ dataDirectory: directory }).create("retired", value);
    // Retire the generated key the way the README says: move it to the list, let a new one be made.
    const retired = await readFile(join(directory, KEY_FILE), "utf8");
    await writeFile(join(directory, PREVIOUS_KEYS_FILE), `# retired keys\n\n${retired}`, { mode: 0o600 });
    await rm(join(directory, KEY_FILE));

    const store = new LocalSecretStore({ dataDirectory: directory });
    await store.create("fresh", secret());
    expect(await readFile(join(directory, KEY_FILE), "utf8")).not.toBe(retired);
    expect(await store.get("retired")).toEqual(value);
    expect(await store.rotate()).toBe(1);
    await rename(join(directory, PREVIOUS_KEYS_FILE), join(directory, "retired-elsewhere"));
    expect(await new LocalSecretStore({ dataDirectory: directory }).get("retired")).toEqual(value);
  });

  it.each([
    ["too short", Buffer.alloc(16, 7).toString("base64"), /is 16 bytes long/],
    ["too long", Buffer.alloc(33, 7).toString("base64"), /is 33 bytes long/],
    ["not base64", "this is not a key!!", /is not valid base64/],
    ["hex instead of base64", randomBytes(32).toString("hex"), /is 48 bytes long/],
  ])("rejects a CHARON_ENCRYPTION_KEY that is %s, saying how to make one", async (_, bad, problem) => {
    const directory = await dataDirectory();
    let error: unknown;
    try {
      LocalSecretStore.fromEnvironment(directory, { CHARON_ENCRYPTION_KEY: bad });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EncryptionKeyError);
    expect(error).toBeInstanceOf(SecretStoreError);
    const message = (error as Error).message;
    expect(message).toMatch(/^CHARON_ENCRYPTION_KEY /);
    expect(message).toMatch(problem);
    expect(message).toContain("base64 encoding of exactly 32 bytes");
    expect(message).toContain("openssl rand -base64 32");
    expect(message).not.toContain(bad);
  });

  it("rejects a bad entry in CHARON_ENCRYPTION_KEY_PREVIOUS and a bad key file", async () => {
    const directory = await dataDirectory();
    expect(() =>
      LocalSecretStore.fromEnvironment(directory, {
        CHARON_ENCRYPTION_KEY_PREVIOUS: `${key().toString("base64")},short`,
      }),
    ).toThrow(/^entry 2 of CHARON_ENCRYPTION_KEY_PREVIOUS is not valid base64.*openssl rand -base64 32/);

    await writeFile(join(directory, KEY_FILE), "garbage\n");
    const error = await failure(new LocalSecretStore({ dataDirectory: directory }).create("x", secret()));
    expect(error).toBeInstanceOf(EncryptionKeyError);
    expect((error as Error).message).toContain(`the key file ${join(directory, KEY_FILE)} is not valid base64`);
  });
});
