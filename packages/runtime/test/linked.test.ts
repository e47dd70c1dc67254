/**
 * The deployed worker's EAB HMAC key (stacks/ca.ts): SST encrypts linked values into the bundle
 * (AES-256-GCM, the key in `SST_KEY`, the file named by `SST_KEY_FILE`) and its SDK decrypts
 * them; here the file is made as SST makes it, and read by the SDK the worker bundles.
 */
import { createCipheriv, randomBytes } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readAcmeSettings } from "@charon/acme";
import { ACME_EAB_HMAC_KEY_SECRET, withLinkedEabKey } from "@charon/runtime/aws";

const hmacKey = randomBytes(32).toString("base64url");

beforeAll(async () => {
  const key = randomBytes(32);
  const cipher = createCipheriv("aes-256-gcm", key, Buffer.alloc(12, 0));
  const links = { [ACME_EAB_HMAC_KEY_SECRET]: { type: "sst.sst.Secret", value: hmacKey } };
  const sealed = Buffer.concat([cipher.update(JSON.stringify(links)), cipher.final(), cipher.getAuthTag()]);
  const file = join(await mkdtemp(join(tmpdir(), "charon-links-")), "resource.enc");
  await writeFile(file, sealed);
  // As Lambda starts the worker: read by the SDK on first access.
  process.env.SST_KEY = key.toString("base64");
  process.env.SST_KEY_FILE = file;
});

describe("the EAB HMAC key of a deployed worker", () => {
  it("comes from the linked SST secret when the environment has only the key id", () => {
    const env = withLinkedEabKey({ CHARON_ACME_DIRECTORY_URL: "https://ca.example/dir", CHARON_ACME_EAB_KID: "kid-1" });
    expect(readAcmeSettings(env).externalAccountBinding).toEqual({ kid: "kid-1", hmacKey });
  });

  it("is not looked for without a key id, nor taken over a key the environment gives", () => {
    const none = { CHARON_ACME_DIRECTORY_URL: "https://ca.example/dir" };
    expect(withLinkedEabKey(none)).toBe(none);
    expect(readAcmeSettings(withLinkedEabKey(none)).externalAccountBinding).toBeUndefined();
    const both = { ...none, CHARON_ACME_EAB_KID: "kid-1", CHARON_ACME_EAB_HMAC_KEY: "from-the-environment" };
    expect(readAcmeSettings(withLinkedEabKey(both)).externalAccountBinding).toEqual({ kid: "kid-1", hmacKey: "from-the-environment" });
  });

  it("missing (a key id without the secret) fails saying how to set it, without any value in the message", () => {
    const env = withLinkedEabKey({ CHARON_ACME_EAB_KID: "kid-1" }, () => undefined);
    expect(() => readAcmeSettings(env)).toThrow(/npx sst secret set AcmeEabHmacKey <key>/);
  });
});
