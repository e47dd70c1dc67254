/**
 * Where secret values live (DNS credentials' API keys; later certificate and ACME account keys).
 * Adapters: AWS Secrets Manager in the cloud, an AES-256-GCM file store locally.
 *
 * Names are logical (`dns-credentials/1/42/<nonce>`); each adapter adds its own prefix.
 * Callers never overwrite a secret that stored metadata points at: they write a new name,
 * commit the metadata, then delete the old name (docs/decisions/0007-secret-write-order.md).
 */
export type SecretValue = Record<string, string>;

export interface StoredSecretInfo {
  name: string;
  createdAt: Date;
}

export interface SecretStore {
  /** Creates the secret; fails if the name exists. */
  create(name: string, value: SecretValue): Promise<void>;
  /** The value, or undefined when no such secret exists. */
  get(name: string): Promise<SecretValue | undefined>;
  /** Removes the secret; removing a missing secret succeeds. */
  delete(name: string): Promise<void>;
  /** Secrets whose logical name starts with `prefix`, for sweeping orphans. */
  list(prefix: string): AsyncIterable<StoredSecretInfo>;
}
