import type { Clock } from "../ports/clock.js";
import type { SecretStore } from "../ports/secret-store.js";
import type { CredentialRepository } from "./repository.js";
import { CREDENTIAL_SECRET_PREFIX, parseCredentialSecretName } from "./secrets.js";

/** Old enough that no request that wrote it can still be about to commit metadata pointing at it. */
export const ORPHAN_MIN_AGE_MS = 60 * 60 * 1000;

export interface SweepReport {
  examined: number;
  deleted: string[];
}

/**
 * Deletes credential secrets that no credential references: left by a crash between the secret
 * write and the metadata commit, or by a failed clean-up after a rotation or delete. Secrets
 * younger than an hour are left alone, since their request may still commit. Each candidate
 * costs one key lookup, never a scan.
 */
export async function sweepOrphanSecrets(deps: {
  secrets: SecretStore;
  credentials: CredentialRepository;
  clock: Clock;
}): Promise<SweepReport> {
  const cutoff = deps.clock.now().getTime() - ORPHAN_MIN_AGE_MS;
  const report: SweepReport = { examined: 0, deleted: [] };
  const candidates: Array<{ name: string; providerId: number; credentialId: number }> = [];
  for await (const secret of deps.secrets.list(CREDENTIAL_SECRET_PREFIX)) {
    report.examined++;
    if (secret.createdAt.getTime() > cutoff) continue;
    const owner = parseCredentialSecretName(secret.name);
    // Someone else's naming scheme: not provably ours to delete.
    if (owner) candidates.push({ name: secret.name, ...owner });
  }
  const credentials = await deps.credentials.getCredentials(
    candidates.map((c) => ({ providerId: c.providerId, id: c.credentialId })),
  );
  const referenced = new Set(credentials.map((c) => c.secretName));
  for (const candidate of candidates) {
    if (referenced.has(candidate.name)) continue;
    await deps.secrets.delete(candidate.name);
    report.deleted.push(candidate.name);
  }
  return report;
}
