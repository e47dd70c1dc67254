import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { KeySealError, type KeySealer } from "@charon/core";
import {
  checkKeyOptions,
  keyOptionsFromEnvironment,
  loadKeyRing,
  type KeyRing,
  type LocalKeyOptions,
} from "./secret-store/keys.js";

const ALGORITHM = "aes-256-gcm";
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Names the format in the sealed string, so a later format can be told apart. */
const VERSION = "lks1";

/**
 * `KeySealer` for `npm start`: AES-256-GCM under the local secret store's key (the same
 * CHARON_ENCRYPTION_KEY, key file and previous keys), with the context as additional
 * authenticated data. Sealed form: `lks1.<key id>.<iv>.<tag>.<ciphertext>`, base64url parts;
 * the key id (16 hex characters) names the key that sealed it, so values sealed before a
 * rotation open with the previous keys.
 */
export class LocalKeySealer implements KeySealer {
  private keys: Promise<KeyRing> | undefined;

  constructor(private readonly options: LocalKeyOptions) {
    checkKeyOptions(options);
  }

  /** The sealer configured as the entry points configure the local secret store. */
  static fromEnvironment(dataDirectory: string, env: NodeJS.ProcessEnv = process.env): LocalKeySealer {
    return new LocalKeySealer(keyOptionsFromEnvironment(dataDirectory, env));
  }

  async seal(plaintext: string, context: Readonly<Record<string, string>>): Promise<string> {
    const { current } = await this.keyRing();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString("base64url"));
    return [VERSION, current.id, ...parts].join(".");
  }

  /** `KeySealError` when the value is not this sealer's, its key is not configured, or it does not authenticate. */
  async open(sealed: string, context: Readonly<Record<string, string>>): Promise<string> {
    const [version, keyId, ...encoded] = sealed.split(".");
    const [iv, tag, ciphertext] = encoded.map((part) => Buffer.from(part, "base64url"));
    // Only the canonical encoding: base64's spare bits would let a changed string open as the same bytes.
    const canonical = encoded.every((part, i) => [iv, tag, ciphertext][i]?.toString("base64url") === part);
    if (version !== VERSION || keyId === undefined || !iv || !tag || !ciphertext || encoded.length !== 3 || !canonical) {
      throw new KeySealError("cannot open the sealed key: it is not in the local sealer's format");
    }
    const key = (await this.keyRing()).byId.get(keyId);
    if (key === undefined) {
      throw new KeySealError(`cannot open the sealed key: it was sealed with key ${keyId}, which is not configured`);
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, key.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(context));
      decipher.setAuthTag(tag);
      const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
      return plaintext.toString("utf8");
    } catch (error) {
      throw new KeySealError(
        `cannot open the sealed key: it does not authenticate under key ${keyId} (altered, or sealed for another context)`,
        { cause: error },
      );
    }
  }

  private keyRing(): Promise<KeyRing> {
    this.keys ??= loadKeyRing(this.options).catch((error: unknown) => {
      this.keys = undefined;
      throw error;
    });
    return this.keys;
  }
}

/**
 * The context in one canonical form (entries sorted by name), behind a label that keeps it apart
 * from the secret store's AAD (a secret's name): the order a caller lists entries in is no part of it.
 */
function additionalData(context: Readonly<Record<string, string>>): Buffer {
  const entries = Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(`charon key sealer\n${JSON.stringify(entries)}`, "utf8");
}
