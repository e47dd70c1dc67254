/**
 * Errors every SecretStore adapter throws, so callers handle them without knowing the adapter.
 * They are not CharonErrors: a store failing is never the API caller's fault, so the API's error
 * hook answers 500. Messages name the secret (names are not secret), never its value.
 */
export class SecretStoreError extends Error {
  constructor(
    /** The logical name the failed operation was about, when there is one. */
    readonly secretName: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * `create` found the name taken. Callers choose fresh names (a nonce per write), so this means a
 * lost race or a reused name: a bug to surface, never a reason to overwrite.
 */
export class SecretAlreadyExistsError extends SecretStoreError {
  constructor(secretName: string, options?: { cause?: unknown }) {
    super(secretName, `secret '${secretName}' already exists`, options);
  }
}
