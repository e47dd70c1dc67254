import { randomBytes } from "node:crypto";
import { CharonError, ConcurrentModificationError, ConflictError, NotFoundError } from "../errors.js";
import type { SecretStore, SecretValue } from "../ports/secret-store.js";
import type { DnsCredential } from "./credential.js";
import type { CredentialRepository } from "./repository.js";

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
 * Writes a secret, then runs `commit` (the metadata write that points at it); docs/decisions/
 * 0007-secret-write-order.md. What happens to the new secret when the commit throws depends on
 * what the error says about the write:
 * - a domain error (a taken claim, a stale version, a missing item, a change too large to send)
 *   means the write was rejected: the secret is deleted again before the error propagates;
 * - anything else (a time-out or a dropped connection after the SDK's retries) leaves the write's
 *   fate unknown: DynamoDB may well have applied it. Deleting the secret then could leave
 *   committed metadata pointing at nothing, which fails every later test and issuance with the
 *   credential. So the credential is read back consistently: if it names the new secret the write
 *   did land, and the request carries on as committed. Otherwise the secret stays for the orphan
 *   sweeper, which deletes it only once it is an hour old and still unreferenced: a write whose
 *   answer was lost may yet be applied after this read.
 */
export async function storeSecretThenCommit(
  deps: { secrets: SecretStore; credentials: Pick<CredentialRepository, "getCredential"> },
  name: string,
  value: SecretValue,
  commit: () => Promise<void>,
): Promise<void> {
  await deps.secrets.create(name, value);
  try {
    await commit();
  } catch (error) {
    if (isRejection(error)) {
      await deps.secrets.delete(name).catch(() => undefined);
      throw error;
    }
    if (await isReferenced(deps.credentials, name)) return;
    throw error;
  }
}

/** Repositories answer a write they know did not apply with a domain error (4xx). */
function isRejection(error: unknown): boolean {
  return error instanceof CharonError && error.status < 500;
}

/** Whether the credential the secret was written for names it now; false if that cannot be told. */
async function isReferenced(credentials: Pick<CredentialRepository, "getCredential">, name: string): Promise<boolean> {
  const owner = parseCredentialSecretName(name);
  if (!owner) return false;
  const stored = await credentials.getCredential(owner.providerId, owner.credentialId, true).catch(() => undefined);
  return stored?.secretName === name;
}

/**
 * Deletes a secret that committed metadata no longer references (after a rotation or a delete).
 * The change already happened, so a failure here must not fail the request: the secret is an
 * orphan now, and the sweeper removes it.
 */
export async function discardSecret(store: SecretStore, name: string): Promise<void> {
  await store.delete(name).catch(() => undefined);
}

/**
 * A credential with its secret, for the calls that use it (a credential test, a DNS-01
 * challenge). A rotation that commits between reading the credential and reading its secret
 * deletes the secret that was read about; the credential read again names the new one. If that
 * one is gone too, rotations keep overtaking this request: a 409 to retry. A secret that is
 * missing with nothing rotated is a 409 saying how to set it again.
 */
export async function credentialWithSecret(
  deps: { secrets: SecretStore; credentials: Pick<CredentialRepository, "getCredential"> },
  read: DnsCredential,
): Promise<{ credential: DnsCredential; secret: SecretValue }> {
  const secret = await deps.secrets.get(read.secretName);
  if (secret) return { credential: read, secret };
  const credential = await deps.credentials.getCredential(read.providerId, read.id, true);
  if (!credential) throw new NotFoundError("Credential", read.id);
  if (credential.secretName === read.secretName) {
    // Nothing rotated it: the secret was lost outside this request's reach, and only new values can help.
    throw new ConflictError(
      `The secret of credential ${read.id} is missing; set its credentials again with PATCH /api/v1/dns-providers/${read.providerId}/credentials/${read.id}`,
    );
  }
  const current = await deps.secrets.get(credential.secretName);
  if (!current) throw new ConcurrentModificationError("Credential", read.id);
  return { credential, secret: current };
}
