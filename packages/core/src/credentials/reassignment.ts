import { ZoneIndex } from "@charon/zones";
import type { DnsProvider } from "../dns-providers/provider.js";
import { storedFilter, type DnsCredential } from "./credential.js";
import type { CredentialUsage, UsageMove } from "./usage.js";

/**
 * The credential every name resolves to, given a provider and all its credentials as they are
 * (or are about to be): the provider's primary credential in single-credential mode, else the
 * choice of spec §4 among enabled credentials.
 */
export function credentialChooser(
  provider: DnsProvider,
  credentials: readonly DnsCredential[],
): (name: string) => DnsCredential | null {
  if (!provider.multiCredential) {
    const primary = credentials.find((c) => c.id === provider.primaryCredentialId) ?? null;
    return () => primary;
  }
  const index = new ZoneIndex(
    credentials.filter((c) => c.enabled).map((c) => ({ credential: c, filter: storedFilter(c.zoneFilter) })),
  );
  return (name) => index.select(name).credential;
}

/**
 * The usages whose name resolves to another credential after a change. A name that no longer
 * matches anything keeps its credential: the documented rotation deprecates the old filter
 * before enabling the new credential, and certificates must keep renewing in between.
 */
export function planMoves(
  provider: DnsProvider,
  credentials: readonly DnsCredential[],
  usages: readonly CredentialUsage[],
): UsageMove[] {
  const choose = credentialChooser(provider, credentials);
  const moves: UsageMove[] = [];
  for (const usage of usages) {
    const target = choose(usage.domain);
    if (target !== null && target.id !== usage.credentialId) moves.push({ usage, toCredentialId: target.id });
  }
  return moves;
}

/** The response's and audit entry's account of a re-evaluation: which names changed credential. */
export interface Reassignment {
  domain: string;
  certificateId: number;
  fromCredentialId: number;
  toCredentialId: number;
}

export function describeMoves(moves: readonly UsageMove[]): Reassignment[] {
  return moves.map(({ usage, toCredentialId }) => ({
    domain: usage.domain,
    certificateId: usage.certificateId,
    fromCredentialId: usage.credentialId,
    toCredentialId,
  }));
}
