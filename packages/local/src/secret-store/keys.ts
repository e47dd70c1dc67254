import { createHash, randomBytes } from "node:crypto";
import { ensurePrivateDirectory } from "../private-directory.js";
import { join } from "node:path";
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

/** Where the local runtime's keys come from; shared by the secret store and the key sealer. */
export interface LocalKeyOptions {
  /** The local runtime's data directory, which holds the generated key files. */
  dataDirectory: string;
  /** 32 bytes. Without it the key is `<dataDirectory>/encryption-key`, created on first use. */
  key?: Buffer;
  /** Keys that sealed older records; they are read, never written with. */
  previousKeys?: Buffer[];
}

/** `<dataDirectory>/encryption-key`: the generated key when none is configured. */
export const KEY_FILE = "encryption-key";
/** `<dataDirectory>/encryption-key.previous`: retired keys, base64, one a line. */
export const PREVIOUS_KEYS_FILE = "encryption-key.previous";

/**
 * CHARON_ENCRYPTION_KEY (base64 of 32 bytes; unset or empty means the generated key file) and
 * CHARON_ENCRYPTION_KEY_PREVIOUS (comma-separated): the only place this package reads them.
 */
export function keyOptionsFromEnvironment(dataDirectory: string, env: NodeJS.ProcessEnv): LocalKeyOptions {
  const current = env["CHARON_ENCRYPTION_KEY"]?.trim();
  const previous = (env["CHARON_ENCRYPTION_KEY_PREVIOUS"] ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  return {
    dataDirectory,
    key: current ? parseKey(current, "CHARON_ENCRYPTION_KEY").key : undefined,
    previousKeys: previous.map((entry, i) => parseKey(entry, `entry ${i + 1} of CHARON_ENCRYPTION_KEY_PREVIOUS`).key),
  };
}

/** Fails now, naming the key, if a configured key is not 32 bytes. */
export function checkKeyOptions(options: LocalKeyOptions): void {
  if (options.key) encryptionKey(options.key, "the configured key");
  options.previousKeys?.forEach((key, i) => encryptionKey(key, `previous key ${i + 1}`));
}

/**
 * The current key and every previous one: the configured key (a generated key file left from
 * before it was configured counts as previous, so switching to CHARON_ENCRYPTION_KEY and then
 * rotating loses nothing), or else the key file, created on first use.
 */
export async function loadKeyRing(options: LocalKeyOptions): Promise<KeyRing> {
  const { dataDirectory, key, previousKeys = [] } = options;
  const keyFile = join(dataDirectory, KEY_FILE);
  const previous = previousKeys.map((k, i) => encryptionKey(k, `previous key ${i + 1}`));
  previous.push(...(await readKeyListFile(join(dataDirectory, PREVIOUS_KEYS_FILE))));
  if (key) {
    const generated = await readKeyFile(keyFile);
    if (generated) previous.push(generated);
    return keyRing(encryptionKey(key, "the configured key"), previous);
  }
  await ensurePrivateDirectory(dataDirectory);
  return keyRing(await loadOrCreateKeyFile(keyFile), previous);
}
