/**
 * What certificates need from DNS providers (implemented by the DNS-provider service):
 * which provider answers the DNS-01 challenges, and which credential each name uses.
 */
export interface ProviderSummary {
  id: number;
  type: string;
  name: string;
}

export interface NameCredential {
  /** Normalised name as it appears on the certificate. */
  domain: string;
  credentialId: number;
  credentialName: string;
}

export interface DnsChallengeDirectory {
  /**
   * rest-api.md's `meta.dns_provider` (a provider type such as "cloudflare") or
   * `meta.dns_provider_id`. ValidationError when the type is unknown, matches no configured
   * provider, or matches several (the message asks for `dns_provider_id`); NotFoundError for a
   * missing id.
   */
  resolveProvider(reference: { type?: string; id?: number }): Promise<ProviderSummary>;
  /**
   * The credential each name would use now. ValidationError with the documents' message
   * "No credential found for provider '<type>' and zone '<zone>'" when a name has none.
   */
  resolveCredentials(providerId: number, domainNames: string[]): Promise<NameCredential[]>;
}
