import { ValidationError, type AgentKeySealer } from "@charon/core";

/**
 * JWE (RFC 7516) with `jose`: `ECDH-ES` key agreement on P-256 and `A256GCM` content encryption,
 * compact serialisation. `jose` is loaded on first use: most requests seal nothing.
 */
export const joseAgentKeySealer: AgentKeySealer = {
  async thumbprint(publicKey) {
    const { calculateJwkThumbprint, importJWK } = await import("jose");
    checkPublicKey(publicKey);
    const jwk = { kty: "EC", crv: "P-256", x: publicKey["x"] as string, y: publicKey["y"] as string };
    // Importing checks that the point is on the curve.
    await importJWK(jwk, "ECDH-ES").catch(() => {
      throw new ValidationError("public_key: x and y are not a point on P-256");
    });
    return calculateJwkThumbprint(jwk, "sha256");
  },
  async sealFor(publicKey, plaintext) {
    const { CompactEncrypt, importJWK } = await import("jose");
    checkPublicKey(publicKey);
    const key = await importJWK({ kty: "EC", crv: "P-256", x: publicKey["x"] as string, y: publicKey["y"] as string }, "ECDH-ES");
    return new CompactEncrypt(new TextEncoder().encode(plaintext)).setProtectedHeader({ alg: "ECDH-ES", enc: "A256GCM" }).encrypt(key);
  },
};

/** A P-256 coordinate: 32 bytes, base64url without padding (43 characters). */
const COORDINATE = /^[A-Za-z0-9_-]{43}$/;

function checkPublicKey(publicKey: Readonly<Record<string, unknown>>): void {
  if (publicKey["kty"] !== "EC" || publicKey["crv"] !== "P-256") {
    throw new ValidationError("public_key: must be an EC P-256 public key as a JWK ({\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":…,\"y\":…})");
  }
  if ("d" in publicKey) throw new ValidationError("public_key: holds a private key ('d'); send the public key only");
  for (const coordinate of ["x", "y"]) {
    if (typeof publicKey[coordinate] !== "string" || !COORDINATE.test(publicKey[coordinate] as string)) {
      throw new ValidationError(`public_key.${coordinate}: must be 32 bytes in base64url (43 characters)`);
    }
  }
}
