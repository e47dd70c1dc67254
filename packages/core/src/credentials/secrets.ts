import { randomBytes } from "node:crypto";
import type { SecretStore, SecretValue } from "../ports/secret-store.js";

/** Every DNS credential secret lives under this prefix; the orphan sweeper lists it. */
export const CREDENTIAL_SECRET_PREFIX = "dns-credentials/";

/**
 * A fresh secret name for a credential: `dns-credentials/<providerId>/<credentialId>/<nonce>`.
 * A new name for every write means a live secret is never overwritten
 * (docs/decisions/0007-secret-write-order.md).
 */
export function credentialSecretName(providerId: number, credentialId: number): string {
  return `${CREDENTIAL_SECRET_PREFIX}${providerId}/${credentialId}/${randomBytes(8).toString("hex")}`;
}

/** The credential a secret name belongs to, or null for a name this module did not make. */
export function parseCredentialSecretName(name: string): { providerId: number; credentialId: number } | null {
  const match = /^dns-credentials\/([1-9]\d*)\/([1-9]\d*)\/[0-9a-f]+$/.exec(name);
  if (!match) return null;
  return { providerId: Number(match[1]), credentialId: Number(match[2]) };
}

/**
 * Writes a secret, then runs `commit` (the metadata write that points at it). If the commit
 * fails, the secret is deleted again before the error propagates: no orphan is left behind, and
 * metadata never points at a secret that was not written. A compensation that fails too leaves
 * an orphan nobody references, which the sweeper removes.
 */
export async function storeSecretThenCommit<T>(
  store: SecretStore,
  name: string,
  value: SecretValue,
  commit: () => Promise<T>,
): Promise<T> {
  await store.create(name, value);
  try {
    return await commit();
  } catch (error) {
    await store.delete(name).catch(() => undefined);
    throw error;
  }
}

/**
 * Deletes a secret that committed metadata no longer references (after a rotation or a delete).
 * The change already happened, so a failure here must not fail the request: the secret is an
 * orphan now, and the sweeper removes it.
 */
export async function discardSecret(store: SecretStore, name: string): Promise<void> {
  await store.delete(name).catch(() => undefined);
}
