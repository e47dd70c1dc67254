import { createHash } from "node:crypto";
import { readdir, unlink } from "node:fs/promises";
import { ensurePrivateDirectory } from "../private-directory.js";
import { join } from "node:path";
import {
  SecretAlreadyExistsError,
  type SecretStore,
  type SecretValue,
  type StoredSecretInfo,
} from "@charon/core";
import { MalformedSecretRecordError } from "./errors.js";
import { isTemporary, readOptional, replaceFile, writeNewFile } from "./files.js";
import {
  checkKeyOptions,
  keyOptionsFromEnvironment,
  loadKeyRing,
  type KeyRing,
  type LocalKeyOptions,
} from "./keys.js";
import { parseRecord, seal, unseal, type SecretRecord } from "./record.js";

/** `dataDirectory`'s `secrets/` holds the secrets; the keys are as `LocalKeyOptions` says. */
export type LocalSecretStoreOptions = LocalKeyOptions;

/**
 * SecretStore for the local runtime: one AES-256-GCM sealed file per secret under
 * `<dataDirectory>/secrets/`, named by the SHA-256 of the logical name so names need no
 * escaping (docs/decisions/0006-local-secret-store.md).
 */
export class LocalSecretStore implements SecretStore {
  private readonly directory: string;
  private keys: Promise<KeyRing> | undefined;
  private directoryReady: Promise<void> | undefined;

  constructor(private readonly options: LocalSecretStoreOptions) {
    this.directory = join(options.dataDirectory, "secrets");
    // Checked now so a bad key fails at startup, not at the first secret.
    checkKeyOptions(options);
  }

  /**
   * The store configured the way entry points do it, from CHARON_ENCRYPTION_KEY and
   * CHARON_ENCRYPTION_KEY_PREVIOUS (`keyOptionsFromEnvironment`).
   */
  static fromEnvironment(dataDirectory: string, env: NodeJS.ProcessEnv = process.env): LocalSecretStore {
    return new LocalSecretStore(keyOptionsFromEnvironment(dataDirectory, env));
  }

  async create(name: string, value: SecretValue): Promise<void> {
    const keys = await this.keyRing();
    await this.ensureDirectory();
    const record = seal(name, value, keys.current, new Date());
    if (!(await writeNewFile(this.pathOf(name), serialize(record)))) {
      throw new SecretAlreadyExistsError(name);
    }
  }

  async get(name: string): Promise<SecretValue | undefined> {
    const path = this.pathOf(name);
    const text = await readOptional(path);
    if (text === undefined) return undefined;
    // The name is checked by decryption (it is the AAD), not by the record's own `name` field.
    return unseal(name, parseRecord(path, text), await this.keyRing());
  }

  async delete(name: string): Promise<void> {
    try {
      await unlink(this.pathOf(name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<StoredSecretInfo> {
    for await (const { record } of this.records()) {
      if (record.name.startsWith(prefix)) {
        yield { name: record.name, createdAt: new Date(record.created_at) };
      }
    }
  }

  /**
   * Re-seals every record not sealed with the current key, each file replaced atomically, and
   * returns how many it re-sealed. Afterwards the previous keys can be dropped. Run it while
   * nothing deletes secrets: a record deleted between its read and its replacement comes back
   * (as an orphan that list-based sweeping removes).
   */
  async rotate(): Promise<number> {
    const keys = await this.keyRing();
    let rotated = 0;
    for await (const { path, record } of this.records()) {
      if (record.key_id === keys.current.id) continue;
      const value = unseal(record.name, record, keys);
      const resealed = seal(record.name, value, keys.current, new Date(record.created_at));
      await replaceFile(path, serialize(resealed));
      rotated++;
    }
    return rotated;
  }

  /** Every record file, checked to sit at its name's path (a moved file is reported, not listed). */
  private async *records(): AsyncIterable<{ path: string; record: SecretRecord }> {
    let fileNames: string[];
    try {
      fileNames = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    for (const fileName of fileNames.sort()) {
      if (isTemporary(fileName)) continue;
      const path = join(this.directory, fileName);
      const text = await readOptional(path);
      if (text === undefined) continue; // deleted since readdir
      const record = parseRecord(path, text);
      if (path !== this.pathOf(record.name)) {
        const reason = "its file name is not the hash of its secret name";
        throw new MalformedSecretRecordError(path, reason, record.name);
      }
      yield { path, record };
    }
  }

  private pathOf(name: string): string {
    return join(this.directory, createHash("sha256").update(name, "utf8").digest("hex"));
  }

  private ensureDirectory(): Promise<void> {
    this.directoryReady ??= ensurePrivateDirectory(this.directory).catch((error: unknown) => {
      this.directoryReady = undefined;
      throw error;
    });
    return this.directoryReady;
  }

  /** Loaded once, on first need, so reading a missing secret never creates a key file. */
  private keyRing(): Promise<KeyRing> {
    this.keys ??= loadKeyRing(this.options).catch((error: unknown) => {
      this.keys = undefined;
      throw error;
    });
    return this.keys;
  }

}

function serialize(record: SecretRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}
