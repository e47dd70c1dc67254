import type * as EncryptionSdk from "@aws-crypto/client-node";
import type { KMSClient } from "@aws-sdk/client-kms";
import type * as KmsModule from "@aws-sdk/client-kms";
import { KeySealError, type KeySealer } from "@charon/core";

// The Encryption SDK and the KMS client are loaded on the first seal or open, not when a
// function starts: most invocations never touch a private key, and cold start is measured.
let modules: Promise<[typeof EncryptionSdk, typeof KmsModule]> | undefined;
const loadModules = () => (modules ??= Promise.all([import("@aws-crypto/client-node"), import("@aws-sdk/client-kms")]));

export interface KmsKeySealerOptions {
  /** The KMS key's ARN (an alias will not do: opening checks the ARN the data key names). */
  keyArn: string;
  /** By default one built on first use from the SDK's configuration (`AWS_ENDPOINT_URL_KMS` for emulators). */
  client?: KMSClient;
  /**
   * The Encryption SDK's encryption context: the same for every value this sealer seals, so a
   * data key can be reused (default `{ "charon:purpose": "certificate-private-key" }`). It is
   * stored in clear in the sealed form and sent to KMS (logged by CloudTrail).
   */
  encryptionContext?: Readonly<Record<string, string>>;
  /** How long a data key is reused, in seconds (default 300). */
  dataKeyMaxAgeSeconds?: number;
  /** How many values one data key seals at most (default 10 000). */
  dataKeyMaxMessages?: number;
}

interface Sdk {
  encrypt: ReturnType<typeof EncryptionSdk.buildClient>["encrypt"];
  decrypt: ReturnType<typeof EncryptionSdk.buildClient>["decrypt"];
  materials: EncryptionSdk.NodeCachingMaterialsManager;
  suiteId: EncryptionSdk.AlgorithmSuiteIdentifier;
}

/**
 * `KeySealer` on AWS KMS through the AWS Encryption SDK
 * (https://docs.aws.amazon.com/encryption-sdk/latest/developer-guide/js-examples.html): envelope
 * encryption under a KMS data key (AES-256-GCM, HKDF-SHA512, key commitment, no signature since
 * the same role seals and opens), with a caching materials manager so a data key seals many
 * values: about one `GenerateDataKey` per 5 minutes and one `Decrypt` per data key, not one per
 * value. The caller's context is bound inside the authenticated ciphertext, with the value, and
 * checked on open; it is not the SDK's encryption context, which is part of the data-key cache's
 * key (a context per certificate would mean a KMS call per certificate). Sealed form: base64 of
 * the SDK's message format.
 */
export class KmsKeySealer implements KeySealer {
  private sdk: Promise<Sdk> | undefined;
  /** The first seal, which fetches the data key: seals that start meanwhile wait for it. */
  private firstSeal: Promise<void> | undefined;
  private readonly encryptionContext: Readonly<Record<string, string>>;

  /** Throws `RangeError` at once when `keyArn` is not a KMS key ARN, so a misconfigured stage fails at start-up. */
  constructor(private readonly options: KmsKeySealerOptions) {
    if (!/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(options.keyArn)) {
      throw new RangeError(`keyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got '${options.keyArn}'`);
    }
    this.encryptionContext = options.encryptionContext ?? { "charon:purpose": "certificate-private-key" };
  }

  /** `KeySealError` (the SDK's or KMS's error as cause) when KMS or the SDK fails. */
  async seal(plaintext: string, context: Readonly<Record<string, string>>): Promise<string> {
    // A batch of seals on a cold cache would each miss and each ask KMS for a data key; the
    // first one asks, the others then find its key in the cache.
    if (this.firstSeal) {
      await this.firstSeal;
      return this.sealWithSdk(plaintext, context);
    }
    const sealing = this.sealWithSdk(plaintext, context);
    // Settles either way, so waiters never see its failure; a failed first seal lets the next try again.
    this.firstSeal = sealing.then(
      () => undefined,
      () => {
        this.firstSeal = undefined;
      },
    );
    return sealing;
  }

  private async sealWithSdk(plaintext: string, context: Readonly<Record<string, string>>): Promise<string> {
    const { encrypt, materials, suiteId } = await this.loadSdk();
    const envelope = Buffer.from(JSON.stringify({ context: canonical(context), key: plaintext }), "utf8");
    try {
      const { result } = await encrypt(materials, envelope, {
        encryptionContext: { ...this.encryptionContext },
        suiteId,
        plaintextLength: envelope.length,
      });
      return result.toString("base64");
    } catch (error) {
      throw new KeySealError(`cannot seal the key with KMS: ${reason(error)}`, { cause: error });
    }
  }

  /** `KeySealError` when the value was altered, is for another context, or KMS cannot decrypt its data key. */
  async open(sealed: string, context: Readonly<Record<string, string>>): Promise<string> {
    const message = Buffer.from(sealed, "base64");
    // Only the canonical encoding: base64's spare bits would let a changed string open as the same bytes.
    if (sealed === "" || message.toString("base64") !== sealed) {
      throw new KeySealError("cannot open the sealed key: it is not base64 of an Encryption SDK message");
    }
    const { decrypt, materials } = await this.loadSdk();
    let opened: { plaintext: Buffer; messageHeader: { encryptionContext: Record<string, string> } };
    try {
      opened = await decrypt(materials, message);
    } catch (error) {
      throw new KeySealError(
        `cannot open the sealed key: ${reason(error)} (altered, or sealed under another KMS key)`,
        { cause: error },
      );
    }
    const envelope = parseEnvelope(opened.plaintext);
    const headerMatches = Object.entries(this.encryptionContext).every(
      ([name, value]) => opened.messageHeader.encryptionContext[name] === value,
    );
    if (!envelope || !headerMatches) {
      throw new KeySealError("cannot open the sealed key: it was not sealed by this sealer");
    }
    if (JSON.stringify(envelope.context) !== JSON.stringify(canonical(context))) {
      throw new KeySealError("cannot open the sealed key: it was sealed for another context");
    }
    return envelope.key;
  }

  private loadSdk(): Promise<Sdk> {
    this.sdk ??= loadModules().then(([sdk, kms]) => {
      const client = this.options.client ?? new kms.KMSClient({});
      // The keyring calls methods named after the operations; a bare client and three commands
      // keep the aggregated `KMS` class (every operation) out of the path this code runs.
      const keyringClient = {
        generateDataKey: (input: KmsModule.GenerateDataKeyRequest) => client.send(new kms.GenerateDataKeyCommand(input)),
        decrypt: (input: KmsModule.DecryptRequest) => client.send(new kms.DecryptCommand(input)),
        encrypt: (input: KmsModule.EncryptRequest) => client.send(new kms.EncryptCommand(input)),
      };
      const keyring = new sdk.KmsKeyringNode({
        generatorKeyId: this.options.keyArn,
        clientProvider: () => keyringClient,
      });
      const materials = new sdk.NodeCachingMaterialsManager({
        backingMaterials: keyring,
        cache: sdk.getLocalCryptographicMaterialsCache(16),
        maxAge: (this.options.dataKeyMaxAgeSeconds ?? 300) * 1000,
        maxMessagesEncrypted: this.options.dataKeyMaxMessages ?? 10_000,
      });
      const { encrypt, decrypt } = sdk.buildClient(sdk.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
      return {
        encrypt,
        decrypt,
        materials,
        suiteId: sdk.AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
      };
    });
    return this.sdk;
  }
}

/** The context's entries sorted by name: the order a caller lists them in is no part of it. */
function canonical(context: Readonly<Record<string, string>>): Array<[string, string]> {
  return Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function parseEnvelope(plaintext: Buffer): { context: unknown; key: string } | undefined {
  try {
    const parsed = JSON.parse(plaintext.toString("utf8")) as { context?: unknown; key?: unknown };
    return typeof parsed.key === "string" ? { context: parsed.context, key: parsed.key } : undefined;
  } catch {
    return undefined;
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
