import {
  NotFoundError,
  ValidationError,
  type DnsChallengeDirectory,
  type NameCredential,
  type ProviderSummary,
} from "@charon/core";
import { credentialKey, type DynamoTable } from "@charon/aws";

export interface FakeProvider extends ProviderSummary {
  /** Each credential serves the names ending in one of its suffixes; "" serves everything. */
  credentials: Array<{ id: number; name: string; suffixes: string[] }>;
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
      return domainNames.map((domain) => {
        const bare = domain.replace(/^\*\./, "");
        const credential = provider.credentials.find((c) => c.suffixes.some((s) => s === "" || bare === s || bare.endsWith(`.${s}`)));
        if (!credential) {
          throw new ValidationError(`No credential found for provider '${provider.type}' and zone '${bare}'`);
        }
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
      { id: 11, name: "Customer A", suffixes: ["customer-a.com"] },
      { id: 12, name: "Production", suffixes: [""] },
    ],
  },
  { id: 2, type: "route53", name: "AWS main", credentials: [{ id: 21, name: "Main", suffixes: [""] }] },
  { id: 3, type: "route53", name: "AWS legacy", credentials: [{ id: 31, name: "Legacy", suffixes: [""] }] },
];
