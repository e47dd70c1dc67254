import {
  NotFoundError,
  ValidationError,
  type DnsChallengeDirectory,
  type NameCredential,
  type ProviderSummary,
} from "@charon/core";
import { credentialKey, type DynamoTable } from "@charon/aws";
import { ZoneIndex, noMatchMessage, parseZoneFilter } from "@charon/zones";

export interface FakeProvider extends ProviderSummary {
  /** Each credential with its zone filter as the API takes it ("" is the catch-all). */
  credentials: Array<{ id: number; name: string; zoneFilter: string }>;
}

/**
 * A small stand-in for the DNS-provider service's DnsChallengeDirectory, for tests of
 * certificates and hosts. It stores each credential's item (so usage counts can move) and
 * answers like the real one: unknown type, several providers of one type, no credential.
 */
export async function fakeDnsDirectory(table: DynamoTable, providers: FakeProvider[]): Promise<DnsChallengeDirectory> {
  for (const provider of providers) {
    for (const credential of provider.credentials) {
      await table.put({ ...credentialKey(provider.id, credential.id), name: credential.name, usage_count: 0 });
    }
  }
  return {
    async resolveProvider(reference): Promise<ProviderSummary> {
      if (reference.id !== undefined) {
        const found = providers.find((p) => p.id === reference.id);
        if (!found) throw new NotFoundError("DNS provider", reference.id);
        return summary(found);
      }
      const ofType = providers.filter((p) => p.type === reference.type);
      if (ofType.length === 0) {
        throw new ValidationError(`No DNS provider of type '${reference.type}' is configured`, "Unknown DNS provider");
      }
      if (ofType.length > 1) {
        throw new ValidationError(
          `${ofType.length} DNS providers have type '${reference.type}'; give meta.dns_provider_id (one of ${ofType.map((p) => p.id).join(", ")})`,
          "Ambiguous DNS provider",
        );
      }
      return summary(ofType[0]!);
    },
    async resolveCredentials(providerId, domainNames): Promise<NameCredential[]> {
      const provider = providers.find((p) => p.id === providerId)!;
      // The zones library's own selection (spec §4), so that these tests see the same choices.
      const index = new ZoneIndex(
        provider.credentials.map((credential) => {
          const filter = parseZoneFilter(credential.zoneFilter);
          if (!filter.ok) throw new Error(`fake provider ${provider.id}: ${filter.error.details}`);
          return { credential, filter: filter.value };
        }),
      );
      return domainNames.map((domain) => {
        const { credential, zone } = index.select(domain);
        if (!credential) throw new ValidationError(noMatchMessage(provider.type, zone ?? domain));
        return { domain, credentialId: credential.id, credentialName: credential.name };
      });
    },
  };
}

function summary(provider: FakeProvider): ProviderSummary {
  return { id: provider.id, type: provider.type, name: provider.name };
}

/** The providers most tests use: one Cloudflare with two credentials, two Route 53s. */
export const standardProviders: FakeProvider[] = [
  {
    id: 1,
    type: "cloudflare",
    name: "Cloudflare Production",
    credentials: [
      { id: 11, name: "Customer A", zoneFilter: "customer-a.com" },
      { id: 12, name: "Production", zoneFilter: "" },
    ],
  },
  { id: 2, type: "route53", name: "AWS main", credentials: [{ id: 21, name: "Main", zoneFilter: "" }] },
  { id: 3, type: "route53", name: "AWS legacy", credentials: [{ id: 31, name: "Legacy", zoneFilter: "" }] },
];
