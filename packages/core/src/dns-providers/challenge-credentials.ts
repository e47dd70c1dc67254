import { findZoneOf, normaliseName, registrableDomain } from "@charon/zones";
import type { DnsCredential } from "../credentials/credential.js";
import { credentialWithSecret } from "../credentials/secrets.js";
import type { CredentialRepository } from "../credentials/repository.js";
import { NotFoundError, ValidationError } from "../errors.js";
import type { DnsProviderClient, DnsProviderTypeName, DnsZone } from "../ports/dns-provider.js";
import type { SecretStore } from "../ports/secret-store.js";
import type { DnsProviderCatalog } from "./catalog.js";
import type { DnsChallengeDirectory, ProviderSummary } from "./challenge-directory.js";

/** A credential ready to write TXT values: its provider's client, and what to scrub from errors. */
export interface ConnectedCredential {
  provider: { id: number; type: DnsProviderTypeName };
  credential: { id: number; name: string };
  client: DnsProviderClient;
  /** The credential's secret values, to redact from anything a provider says. */
  secretValues: string[];
}

/**
 * credential → secret → provider client, for every use of a stored credential against its
 * provider: a DNS-01 challenge and the credential test (`CredentialService.test`). Returns the
 * credential as read with the secret (a rotation in between is followed).
 */
export async function connectCredential(
  deps: { secrets: SecretStore; credentials: Pick<CredentialRepository, "getCredential">; catalog: DnsProviderCatalog },
  providerType: string,
  read: DnsCredential,
): Promise<{ credential: DnsCredential; connected: ConnectedCredential }> {
  const { credential, secret } = await credentialWithSecret(deps, read);
  const type = providerType as DnsProviderTypeName;
  return {
    credential,
    connected: {
      provider: { id: credential.providerId, type },
      credential: { id: credential.id, name: credential.name },
      client: deps.catalog.createClient(type, { ...credential.settings, ...secret }),
      secretValues: Object.values(secret),
    },
  };
}

/**
 * The DNS-01 seam of the core (shared/spec/dns-01.md §1): credential → secret → provider client
 * → hosted zone. Issuance uses all of it; the credential test shares `connectCredential`.
 */
export class ChallengeCredentials {
  constructor(
    private readonly deps: {
      directory: DnsChallengeDirectory;
      credentials: CredentialRepository;
      secrets: SecretStore;
      catalog: DnsProviderCatalog;
    },
  ) {}

  /**
   * The provider and the credential zone-matching.md §4 chooses for `name` (a normalised name,
   * `*.` allowed). ValidationError `No credential found for provider '<type>' and zone '<zone>'`.
   */
  async choose(providerId: number, name: string): Promise<{ provider: ProviderSummary; credential: { id: number; name: string } }> {
    const [provider, [chosen]] = await Promise.all([
      this.deps.directory.resolveProvider({ id: providerId }),
      this.deps.directory.resolveCredentials(providerId, [name]),
    ]);
    if (!chosen) throw new ValidationError(`No credential could be chosen for '${name}'`);
    return { provider, credential: { id: chosen.credentialId, name: chosen.credentialName } };
  }

  /** A client of the provider authenticated with the credential's current secret. */
  async connect(provider: { id: number; type: string }, credentialId: number): Promise<ConnectedCredential> {
    const read = await this.deps.credentials.getCredential(provider.id, credentialId, true);
    if (!read) throw new NotFoundError("Credential", credentialId);
    return (await connectCredential(this.deps, provider.type, read)).connected;
  }

  /**
   * zone-matching.md §5: the provider's hosted zone that is the longest suffix of `recordName`
   * (finds sub-zones delegated on their own), else the registrable domain of the name.
   * ValidationError when neither exists (a public suffix).
   */
  async hostedZone(connected: ConnectedCredential, recordName: string): Promise<DnsZone> {
    const zones = await connected.client.listZones();
    const best = findZoneOf(recordName, zones.map((z) => z.name));
    const hosted = best === null ? undefined : zones.find((z) => z.name === best);
    if (hosted) return hosted;
    const fallback = registrableDomain(registrableInput(recordName));
    if (fallback === null) throw new ValidationError(`'${recordName}' lies in no zone of DNS provider ${connected.provider.id}`);
    return { id: fallback, name: fallback };
  }
}

/** The record name without its leading underscore labels, which the Public Suffix List never holds. */
function registrableInput(recordName: string): string {
  const labels = recordName.split(".");
  while (labels.length > 0 && labels[0]!.startsWith("_")) labels.shift();
  const name = normaliseName(labels.join("."));
  return name.ok ? name.value : labels.join(".");
}
