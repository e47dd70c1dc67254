import { createHash, randomBytes } from "node:crypto";
import { EncryptionKeyError } from "./errors.js";
import { readOptional, writeNewFile } from "./files.js";

export const KEY_BYTES = 32;

export interface EncryptionKey {
  /** First 16 hex characters of the key's SHA-256: names the key in records and errors. */
  readonly id: string;
  readonly key: Buffer;
}

/** The key new records are sealed with, and every key a record may have been sealed with. */
export interface KeyRing {
  readonly current: EncryptionKey;
  readonly byId: ReadonlyMap<string, EncryptionKey>;
}

export function encryptionKey(key: Buffer, source: string): EncryptionKey {
  if (key.length !== KEY_BYTES) throw new EncryptionKeyError(source, `is ${key.length} bytes long`);
  return { id: createHash("sha256").update(key).digest("hex").slice(0, 16), key };
}

/** Decodes one base64 key; the error says what is wrong without repeating the text. */
export function parseKey(text: string, source: string): EncryptionKey {
  const trimmed = text.trim();
  // Buffer.from(…, "base64") skips characters it does not know, so check the alphabet first:
  // a mistyped key must fail here, not become a different key.
  if (trimmed.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(trimmed)) {
    throw new EncryptionKeyError(source, "is not valid base64");
  }
  return encryptionKey(Buffer.from(trimmed, "base64"), source);
}

export function keyRing(current: EncryptionKey, previous: EncryptionKey[]): KeyRing {
  const byId = new Map<string, EncryptionKey>();
  for (const key of [current, ...previous]) byId.set(key.id, key);
  return { current, byId };
}

/** Reads the key file, creating it with a fresh random key (mode 0600) if there is none. */
export async function loadOrCreateKeyFile(path: string): Promise<EncryptionKey> {
  const existing = await readKeyFile(path);
  if (existing) return existing;
  const key = randomBytes(KEY_BYTES);
  // Exclusive create: when two processes start at once, one key wins and both use it.
  if (await writeNewFile(path, `${key.toString("base64")}\n`)) return encryptionKey(key, path);
  const winner = await readKeyFile(path);
  if (!winner) throw new EncryptionKeyError(path, "vanished while it was being created");
  return winner;
}

export async function readKeyFile(path: string): Promise<EncryptionKey | undefined> {
  const text = await readOptional(path);
  return text === undefined ? undefined : parseKey(text, `the key file ${path}`);
}

/** Keys from a file of base64 keys, one a line; blank lines and `#` comments are skipped. */
export async function readKeyListFile(path: string): Promise<EncryptionKey[]> {
  const text = await readOptional(path);
  if (text === undefined) return [];
  return text
    .split("\n")
    .map((line, index) => ({ line: line.trim(), index }))
    .filter(({ line }) => line !== "" && !line.startsWith("#"))
    .map(({ line, index }) => parseKey(line, `line ${index + 1} of ${path}`));
}
