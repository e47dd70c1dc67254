import { chooseCredential, matchPattern, noMatchMessage, normaliseName, probeKeys, type Match, type Selection } from "@charon/zones";
import { auditEntry, type Actor } from "../audit/entry.js";
import { storedFilter } from "../credentials/credential.js";
import type { ClaimHolder, CredentialRepository, SelectionClaims } from "../credentials/repository.js";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { DnsProviderCatalog } from "./catalog.js";
import type { DnsChallengeDirectory, NameCredential, ProviderSummary } from "./challenge-directory.js";
import type { DnsProviderRepository } from "./repository.js";
import { providerType } from "./types.js";

/** How many provider ids the "several providers of type …" message names before "…". */
const AMBIGUOUS_IDS_SHOWN = 5;

/** Spec §8's answer: the credential a name would use, and every candidate. */
export interface MatchExplanation extends Selection<ClaimHolder> {
  multiCredential: boolean;
  /** Set when no credential is chosen: spec §4's error, or why single mode ignores filters. */
  message: string | null;
}

/** One certificate operation's result for one credential, as issuance reports it. */
export interface ChallengeOutcome {
  /**
   * Names this outcome once and for all (the order and the credential): recording it again, as a
   * worker resumed after a crash or a duplicate delivery does, counts and audits nothing.
   */
  key: string;
  provider: ProviderSummary;
  /**
   * The credential that wrote these names' DNS-01 values; null for names no challenge was answered
   * for in this attempt (the CA still held valid authorizations for them, RFC 8555 §7.1.4, or the
   * order failed before a value was written): their audit entry is written, no credential counted.
   */
  credential: { id: number; name: string } | null;
  certificateId: number;
  /** The certificate names this credential answered challenges for (or, without one, the names concerned). */
  domains: string[];
  action: "certificate_issued" | "certificate_renewed" | "certificate_failed";
  succeeded: boolean;
  /** The failure as a person should read it (never a secret). */
  error?: string;
  actor: Actor;
}

/** What issuance calls after each certificate operation; one call per credential used. */
export interface ChallengeOutcomeRecorder {
  recordChallengeOutcome(outcome: ChallengeOutcome): Promise<void>;
}

/**
 * Which credential answers each name's DNS-01 challenge. Reads only the claims that could
 * match (spec §9): the provider and its claims in one batch read, whatever the number of
 * credentials; single-credential mode adds one read of the primary credential.
 */
export class DnsDirectory implements DnsChallengeDirectory, ChallengeOutcomeRecorder {
  constructor(
    private readonly deps: {
      providers: DnsProviderRepository;
      credentials: CredentialRepository;
      catalog: DnsProviderCatalog;
      clock: Clock;
    },
  ) {}

  async resolveProvider(reference: { type?: string; id?: number }): Promise<ProviderSummary> {
    if (reference.id !== undefined) {
      const provider = await this.deps.providers.getProvider(reference.id);
      if (!provider) throw new NotFoundError("DNS provider", reference.id);
      if (reference.type !== undefined && reference.type !== provider.type) {
        throw new ValidationError(
          `DNS provider ${provider.id} is of type '${provider.type}', not '${reference.type}'`,
        );
      }
      return summary(provider);
    }
    if (reference.type === undefined) {
      throw new ValidationError("A DNS challenge needs meta.dns_provider (a provider type) or meta.dns_provider_id");
    }
    const type = providerType(this.deps.catalog, reference.type).type;
    // One more than are named, to tell "these" from "these and more".
    const found = await this.deps.providers.providersOfType(type, AMBIGUOUS_IDS_SHOWN + 1);
    const [first] = found;
    // Both are the stored providers' doing, not the request's shape: 409 (docs/decisions/0018).
    if (!first) {
      throw new ConflictError(
        `meta.dns_provider: no DNS provider of type '${type}' is configured; add one with POST /api/nginx/dns-providers`,
      );
    }
    if (found.length > 1) {
      const ids = found.slice(0, AMBIGUOUS_IDS_SHOWN).map((p) => p.id);
      const more = found.length > AMBIGUOUS_IDS_SHOWN ? ", …" : "";
      throw new ConflictError(
        `meta.dns_provider: several DNS providers of type '${type}' are configured (${ids.join(", ")}${more}); choose one with meta.dns_provider_id`,
      );
    }
    return summary(first);
  }

  async resolveCredentials(providerId: number, domainNames: string[]): Promise<NameCredential[]> {
    const names = domainNames.map(validDomain);
    const claims = await this.claims(providerId, [...new Set(names.flatMap(probeKeys))]);
    const primary = await this.primaryHolder(claims);
    return names.map((domain) => {
      const selection = primary ? singleMode(domain, primary) : select(domain, claims);
      if (!selection.credential) {
        throw new ValidationError(noMatchMessage(claims.provider.type, selection.zone ?? domain), "No matching credential");
      }
      return { domain, credentialId: selection.credential.id, credentialName: selection.credential.name };
    });
  }

  /** `GET /api/v1/dns-providers/{id}/match?domain=…`. */
  async match(providerId: number, domainName: string): Promise<MatchExplanation> {
    const domain = validDomain(domainName);
    const claims = await this.claims(providerId, probeKeys(domain));
    const primary = await this.primaryHolder(claims);
    if (primary) {
      return {
        ...singleMode(domain, primary),
        multiCredential: false,
        message: "Multi-credential mode is off: the provider's primary credential serves every name",
      };
    }
    const selection = select(domain, claims);
    return {
      ...selection,
      multiCredential: true,
      message: selection.credential ? null : noMatchMessage(claims.provider.type, selection.zone ?? domain),
    };
  }

  /**
   * Counts the operation on the credential (success or failure, last used/success/failure
   * times) and writes its audit entry, atomically, once per `outcome.key`.
   */
  async recordChallengeOutcome(outcome: ChallengeOutcome): Promise<void> {
    const at = this.deps.clock.now();
    const audit = auditEntry(outcome.actor, at, {
      action: outcome.action,
      resourceType: "certificate",
      resourceId: outcome.certificateId,
      resourceName: outcome.domains[0] ?? null,
      provider: outcome.provider.type,
      zoneFilter: null,
      details: {
        domain: outcome.domains[0] ?? null,
        domains: outcome.domains,
        provider_id: outcome.provider.id,
        credential_id: outcome.credential?.id ?? null,
        credential_name: outcome.credential?.name ?? null,
        ...(outcome.credential ? {} : { dns_challenge: false }),
        result: outcome.succeeded ? "success" : "failure",
        ...(outcome.error ? { error: outcome.error } : {}),
      },
    });
    await this.deps.credentials.recordChallengeOutcome(
      outcome.credential ? { providerId: outcome.provider.id, id: outcome.credential.id } : null,
      outcome.succeeded,
      at.toISOString(),
      audit,
      outcome.key,
    );
  }

  private async claims(providerId: number, patterns: string[]): Promise<SelectionClaims> {
    const claims = await this.deps.credentials.selectionClaims(providerId, patterns);
    if (!claims) throw new NotFoundError("DNS provider", providerId);
    return claims;
  }

  /**
   * In single-credential mode, the one credential every name uses; null in multi mode. The
   * primary usually holds the catch-all claim (as created and as migrated), which the batch read
   * fetched already.
   */
  private async primaryHolder({ provider, catchAll, patterns }: SelectionClaims): Promise<ClaimHolder | null> {
    if (provider.multiCredential) return null;
    const fetched = [catchAll, ...patterns.map((p) => p.holder)].find((h) => h !== null && h.id === provider.primaryCredentialId);
    if (fetched) return fetched;
    const primary =
      provider.primaryCredentialId === null
        ? undefined
        : await this.deps.credentials.getCredential(provider.id, provider.primaryCredentialId);
    // Writes keep a single-mode provider's primary in place; should one still be missing, say how
    // to repair the provider rather than fail the request as a bug.
    if (!primary) {
      throw new ConflictError(
        `DNS provider ${provider.id} has no credential to use: enable multi-credential mode and add one ` +
          `(POST /api/v1/dns-providers/${provider.id}/credentials)`,
        { dns_provider_id: provider.id },
        "DNS provider has no credential",
      );
    }
    return { id: primary.id, name: primary.name, zoneFilter: primary.zoneFilter };
  }
}

function validDomain(input: string): string {
  const name = normaliseName(input);
  if (!name.ok) throw new ValidationError(name.error.details, name.error.title);
  return name.value;
}

/** Spec §4 over the claims that could match: every fetched claim is re-checked against the name. */
function select(domain: string, claims: SelectionClaims): Selection<ClaimHolder> {
  const matches: Array<Match<ClaimHolder>> = [];
  for (const claim of claims.patterns) {
    const filter = storedFilter(claim.pattern);
    const pattern = filter.kind === "patterns" ? filter.patterns[0] : undefined;
    if (pattern && matchPattern(pattern, domain)) matches.push({ credential: claim.holder, pattern });
  }
  if (claims.catchAll) matches.push({ credential: claims.catchAll, pattern: null });
  return chooseCredential(domain, matches);
}

function singleMode(domain: string, primary: ClaimHolder): Selection<ClaimHolder> {
  return { ...chooseCredential(domain, []), credential: primary };
}

function summary(provider: { id: number; type: string; name: string }): ProviderSummary {
  return { id: provider.id, type: provider.type, name: provider.name };
}
