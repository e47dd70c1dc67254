/**
 * Envelope encryption of certificate private keys (issue 9). There are as many keys as
 * certificates, so they are not one Secrets Manager secret each ($0.40 a month apiece): each is
 * sealed under a data key, and the sealed form is stored beside its certificate in the table.
 * Adapters: AWS KMS through the AWS Encryption SDK (`@charon/aws`), the local store's
 * AES-256-GCM key under `npm start` (`@charon/local`).
 */
export interface KeySealer {
  /**
   * Seals `plaintext` (a PEM private key) bound to `context` (e.g. `{certificate_id: "12"}`): the
   * result is an opaque string, safe to store and to log the length of, never the content.
   */
  seal(plaintext: string, context: Readonly<Record<string, string>>): Promise<string>;
  /**
   * Opens what `seal` returned. Fails with `KeySealError` when the sealed value was altered, the
   * context differs, or the key that sealed it is not available.
   */
  open(sealed: string, context: Readonly<Record<string, string>>): Promise<string>;
}

/** A sealed value that cannot be opened; the message never contains key material. */
export class KeySealError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "KeySealError";
  }
}
