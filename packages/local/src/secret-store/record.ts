import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { SecretValue } from "@charon/core";
import { MalformedSecretRecordError, SecretDecryptionError } from "./errors.js";
import type { EncryptionKey, KeyRing } from "./keys.js";

const ALGORITHM = "aes-256-gcm";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** One secret's file: everything but `ciphertext` is readable without the key. */
export interface SecretRecord {
  name: string;
  created_at: string;
  key_id: string;
  /** base64 */
  iv: string;
  /** base64 */
  tag: string;
  /** base64 */
  ciphertext: string;
}

/**
 * Seals a value under `key` with a fresh IV. The logical name is the additional authenticated
 * data, so a record only opens under the name it was written for.
 */
export function seal(name: string, value: SecretValue, key: EncryptionKey, createdAt: Date): SecretRecord {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(name, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
  return {
    name,
    created_at: createdAt.toISOString(),
    key_id: key.id,
    iv: iv.toString("base64"),
    tag: cipher.getAuthTag().toString("base64"),
    ciphertext: ciphertext.toString("base64"),
  };
}

/** Opens a record read for `name`; fails if its key is unknown or it does not authenticate. */
export function unseal(name: string, record: SecretRecord, keys: KeyRing): SecretValue {
  const key = keys.byId.get(record.key_id);
  if (key === undefined) {
    throw new SecretDecryptionError(
      name,
      record.key_id,
      `it was encrypted with key ${record.key_id}, which is not configured`,
    );
  }
  let plaintext: string;
  try {
    const decipher = createDecipheriv(ALGORITHM, key.key, Buffer.from(record.iv, "base64"), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(name, "utf8"));
    decipher.setAuthTag(Buffer.from(record.tag, "base64"));
    const ciphertext = Buffer.from(record.ciphertext, "base64");
    plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
  } catch (error) {
    throw new SecretDecryptionError(
      name,
      record.key_id,
      `it does not authenticate under key ${record.key_id} ` +
        "(the file was altered, or copied from another secret's)",
      { cause: error },
    );
  }
  // Authenticated, so this is what `seal` wrote.
  return JSON.parse(plaintext) as SecretValue;
}

/** Checks that parsed file content has the record's shape; `path` names the file in errors. */
export function parseRecord(path: string, text: string): SecretRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new MalformedSecretRecordError(path, "it is not JSON");
  }
  const record = parsed as Partial<Record<keyof SecretRecord, unknown>>;
  const fields = ["name", "created_at", "key_id", "iv", "tag", "ciphertext"] as const;
  for (const field of fields) {
    if (typeof record?.[field] !== "string") {
      throw new MalformedSecretRecordError(path, `field '${field}' is missing or not a string`);
    }
  }
  const valid = parsed as SecretRecord;
  if (Buffer.from(valid.iv, "base64").length !== IV_BYTES) {
    throw new MalformedSecretRecordError(path, `iv is not ${IV_BYTES} bytes`, valid.name);
  }
  if (Buffer.from(valid.tag, "base64").length !== TAG_BYTES) {
    // A short tag would weaken authentication; GCM accepts them unless told otherwise.
    throw new MalformedSecretRecordError(path, `tag is not ${TAG_BYTES} bytes`, valid.name);
  }
  if (Number.isNaN(Date.parse(valid.created_at))) {
    throw new MalformedSecretRecordError(path, "created_at is not a time", valid.name);
  }
  return valid;
}
