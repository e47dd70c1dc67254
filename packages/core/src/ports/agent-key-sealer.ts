/**
 * Sealing a certificate's private key to one proxy agent's public key (issue 11 §1): JWE with
 * ECDH-ES (RFC 7518 §4.6) on P-256, so that only the holder of the agent's private key (which
 * never leaves its machine) can open it. A leaked snapshot or token alone yields no key.
 */
export interface AgentKeySealer {
  /**
   * The key's RFC 7638 thumbprint (SHA-256, base64url), after checking it is a public EC P-256
   * key: a ValidationError naming `public_key` otherwise.
   */
  thumbprint(publicKey: Readonly<Record<string, unknown>>): Promise<string>;
  /** A compact JWE of `plaintext` (a PEM key) that only the key's holder can open. */
  sealFor(publicKey: Readonly<Record<string, unknown>>, plaintext: string): Promise<string>;
}
