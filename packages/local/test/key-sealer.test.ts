import { randomBytes } from "node:crypto";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KeySealError } from "@charon/core";
import { KEY_FILE, LocalKeySealer, LocalSecretStore } from "@charon/local";
import { keySealerContract, privateKeyPem } from "../../../test/contracts/key-sealer.contract.js";

const dataDirectory = () => mkdtemp(join(tmpdir(), "charon-key-sealer-"));
const context = { certificate_id: "42" };

keySealerContract("LocalKeySealer", async () => new LocalKeySealer({ dataDirectory: await dataDirectory() }));

describe("LocalKeySealer", () => {
  it("uses the secret store's generated key file, so both open with the same data directory", async () => {
    const directory = await dataDirectory();
    await new LocalSecretStore({ dataDirectory: directory }).create("dns-credentials/1", { api_key: "k" });
    const pem = privateKeyPem();
    const sealed = await new LocalKeySealer({ dataDirectory: directory }).seal(pem, context);
    const keyFile = (await readFile(join(directory, KEY_FILE), "utf8")).trim();

    expect(await new LocalKeySealer({ dataDirectory: await dataDirectory(), key: Buffer.from(keyFile, "base64") }).open(sealed, context)).toBe(pem);
  });

  it("opens what a previous key sealed after a rotation, and seals with the current key", async () => {
    const directory = await dataDirectory();
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    const pem = privateKeyPem();
    const before = await new LocalKeySealer({ dataDirectory: directory, key: oldKey }).seal(pem, context);

    const rotated = new LocalKeySealer({ dataDirectory: directory, key: newKey, previousKeys: [oldKey] });
    expect(await rotated.open(before, context)).toBe(pem);
    const after = await rotated.seal(pem, context);
    expect(await new LocalKeySealer({ dataDirectory: directory, key: newKey }).open(after, context)).toBe(pem);
    expect(after.split(".")[1]).not.toBe(before.split(".")[1]);
  });

  it("names the missing key when the key that sealed a value is no longer configured", async () => {
    const directory = await dataDirectory();
    const sealed = await new LocalKeySealer({ dataDirectory: directory, key: randomBytes(32) }).seal(privateKeyPem(), context);
    const error = await new LocalKeySealer({ dataDirectory: directory, key: randomBytes(32) })
      .open(sealed, context)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeySealError);
    expect((error as Error).message).toBe(
      `cannot open the sealed key: it was sealed with key ${sealed.split(".")[1]}, which is not configured`,
    );
  });

  it("reads its key from CHARON_ENCRYPTION_KEY and refuses a bad one at construction", async () => {
    const key = randomBytes(32);
    const env = { CHARON_ENCRYPTION_KEY: key.toString("base64") };
    const sealed = await LocalKeySealer.fromEnvironment(await dataDirectory(), env).seal("k", context);
    expect(await new LocalKeySealer({ dataDirectory: await dataDirectory(), key }).open(sealed, context)).toBe("k");
    expect(() => new LocalKeySealer({ dataDirectory: "/nowhere", key: randomBytes(16) })).toThrow(/is 16 bytes long/);
  });
});
