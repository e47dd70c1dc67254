import { SecretStoreError } from "@charon/core";

const GENERATE = "generate one with `openssl rand -base64 32`";

/** The configured encryption key is unusable; says where it came from and how to make a good one. */
export class EncryptionKeyError extends SecretStoreError {
  constructor(source: string, problem: string, options?: { cause?: unknown }) {
    const rule = "it must be the base64 encoding of exactly 32 bytes";
    super(undefined, `${source} ${problem}: ${rule}; ${GENERATE}`, options);
  }
}

/**
 * A record cannot be opened: its key is not configured, or it fails authentication (altered,
 * or copied from another name's file). `keyId` is the key the record says it was sealed with.
 */
export class SecretDecryptionError extends SecretStoreError {
  constructor(
    secretName: string,
    readonly keyId: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(secretName, `cannot decrypt secret '${secretName}': ${reason}`, options);
  }
}

/** A file in the secrets directory is not a record this store wrote. */
export class MalformedSecretRecordError extends SecretStoreError {
  constructor(
    readonly path: string,
    reason: string,
    secretName?: string,
  ) {
    super(secretName, `${path} is not a valid secret record: ${reason}`);
  }
}
