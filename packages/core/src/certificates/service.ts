import { auditEntry, type Actor } from "../audit/entry.js";
import type { DnsChallengeDirectory, ProviderSummary } from "../dns-providers/challenge-directory.js";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import { normaliseDomainNames } from "../names.js";
import type { Clock } from "../ports/clock.js";
import type { Page, PageRequest } from "../ports/page.js";
import {
  certificateSummary,
  defaultNiceName,
  credentialsOf,
  type Certificate,
  type CertificateCredential,
  type CertificateMeta,
  type CertificateRequest,
  type CertificateSummary,
} from "./certificate.js";
import { certificateOverview, type CertificateOverview } from "./overview.js";
import type { CertificateRepository } from "./repository.js";

/** What a certificate's material is, opened: PEM text as Nginx Proxy Manager's download has it. */
export interface CertificateFiles {
  certificatePem: string;
  chainPem: string;
  privateKeyPem: string;
}

/**
 * Issuance as the certificate service sees it (implemented by `@charon/acme`'s Issuer and the
 * DNS-01 solver). Without it certificates are stored `pending` and nothing issues them.
 */
export interface CertificateIssuance {
  /**
   * dns-01.md §1 at request time: the credential a name's challenge uses, following CNAME
   * delegation. ValidationError with §5's message when none applies.
   */
  locate(providerId: number, identifier: string): Promise<{ credential: { id: number; name: string } }>;
  /**
   * Opens the certificate's order and enqueues it (false: an order is open already). `renewal`
   * when a certificate is in service: its order replaces that one (`replaces`: its ARI id).
   */
  start(certificate: Certificate, requestedBy: Actor, renewal?: { replaces?: string }): Promise<boolean>;
  /** The certificate in service with its private key opened, or undefined before the first issuance. */
  files(certificateId: number): Promise<CertificateFiles | undefined>;
}

export class CertificateService {
  constructor(
    private readonly certificates: CertificateRepository,
    private readonly directory: DnsChallengeDirectory,
    private readonly clock: Clock,
    private readonly issuance?: CertificateIssuance,
  ) {}

  list(page: PageRequest): Promise<Page<Certificate>> {
    return this.certificates.list(page);
  }

  /** `GET /api/v1/certificates/summary`; its reads are `everyCertificate`'s. */
  overview(): Promise<CertificateOverview> {
    return certificateOverview(this.certificates, this.clock.now());
  }

  async get(id: number): Promise<Certificate> {
    const certificate = await this.certificates.get(id);
    if (!certificate) throw new NotFoundError("Certificate", id);
    return certificate;
  }

  /** Summaries of the certificates among `ids` that exist, by id. */
  async summaries(ids: number[]): Promise<Map<number, CertificateSummary>> {
    const wanted = [...new Set(ids.filter((id) => id > 0))];
    if (wanted.length === 0) return new Map();
    const found = await this.certificates.getMany(wanted);
    return new Map(found.map((c) => [c.id, certificateSummary(c)]));
  }

  /**
   * Validates and stores a request (`status: "pending"`): names normalised, the DNS provider
   * resolved from `meta.dns_provider` (a type) or `meta.dns_provider_id`, and the credential of
   * each name recorded (following delegation when issuance runs), so the DNS side can show which
   * names each credential serves. Then its order is opened and enqueued.
   */
  async create(actor: Actor, request: CertificateRequest): Promise<Certificate> {
    const domainNames = normaliseDomainNames("domain_names", request.domain_names);
    const meta = challengeMeta(request.meta, domainNames);
    const provider = meta.dns_challenge ? await this.provider(meta) : null;
    // Both, as a certificate's GET shows them (the round trip): the id decides, the type must agree.
    if (provider && meta.dns_provider !== undefined && meta.dns_provider_id !== undefined && provider.type !== meta.dns_provider) {
      throw new ConflictError(
        `meta.dns_provider: '${meta.dns_provider}' is not the type of DNS provider ${provider.id} ('${provider.type}'); give one of them`,
      );
    }
    const credentials = provider ? await this.credentialsFor(provider.id, domainNames) : [];
    const now = this.clock.now();
    const niceName = request.nice_name ?? defaultNiceName(domainNames);
    const certificate = await this.certificates.create(
      {
        provider: request.provider,
        nice_name: niceName,
        domain_names: domainNames,
        status: "pending",
        expires_on: null,
        created_on: now.toISOString(),
        modified_on: now.toISOString(),
        last_renewed_at: null,
        renewal_requested_at: null,
        meta: provider ? { ...meta, dns_provider: provider.type, dns_provider_id: provider.id } : meta,
        dns_provider: provider,
        credentials,
      },
      (id) =>
        auditEntry(actor, now, {
          action: "certificate_requested",
          resourceType: "certificate",
          resourceId: id,
          resourceName: niceName,
          provider: provider?.type ?? null,
          zoneFilter: null,
          details: { domain_names: domainNames, credential_ids: [...new Set(credentials.map((c) => c.credential_id))] },
        }),
    );
    if (!this.issuance || !provider) return certificate;
    await this.issuance.start(certificate, actor);
    return { ...certificate, step: "requested" };
  }

  /** The certificate in service as files (`GET …/download`); 404 before it is issued. */
  async files(id: number): Promise<CertificateFiles> {
    const certificate = await this.get(id);
    const files = await this.issuance?.files(certificate.id);
    if (!files) throw new NotFoundError("Issued certificate", id);
    return files;
  }

  /** Each name's credential: through its delegation when issuance runs (dns-01.md §1), else directly. */
  private async credentialsFor(providerId: number, domainNames: string[]): Promise<CertificateCredential[]> {
    const issuance = this.issuance;
    if (!issuance) return credentialsOf(await this.directory.resolveCredentials(providerId, domainNames));
    return Promise.all(
      domainNames.map(async (domain) => {
        const { credential } = await issuance.locate(providerId, domain);
        return { domain, credential_id: credential.id, credential_name: credential.name };
      }),
    );
  }

  async delete(actor: Actor, id: number): Promise<void> {
    const certificate = await this.get(id);
    await this.certificates.delete(certificate, this.audit(actor, "certificate_deleted", certificate));
  }

  /** Records a renewal request; the renewal job picks it up. */
  async requestRenewal(actor: Actor, id: number): Promise<Certificate> {
    const certificate = await this.get(id);
    const at = this.clock.now().toISOString();
    return this.certificates.requestRenewal(certificate, at, this.audit(actor, "certificate_renewal_requested", certificate));
  }

  private provider(meta: CertificateMeta): Promise<ProviderSummary> {
    return this.directory.resolveProvider(
      meta.dns_provider_id !== undefined ? { id: meta.dns_provider_id } : { type: meta.dns_provider },
    );
  }

  private audit(actor: Actor, action: string, certificate: Certificate) {
    return auditEntry(actor, this.clock.now(), {
      action,
      resourceType: "certificate",
      resourceId: certificate.id,
      resourceName: certificate.nice_name,
      provider: certificate.dns_provider?.type ?? null,
      zoneFilter: null,
      details: { domain_names: certificate.domain_names },
    });
  }
}

/**
 * `meta.dns_challenge` defaults to true when a provider is named. A DNS-01 challenge needs a
 * provider; wildcard names can only be validated through DNS-01.
 */
function challengeMeta(meta: Partial<CertificateMeta>, domainNames: string[]): CertificateMeta {
  const named = meta.dns_provider !== undefined || meta.dns_provider_id !== undefined;
  const dnsChallenge = meta.dns_challenge ?? named;
  if (dnsChallenge && !named) {
    throw new ValidationError("meta.dns_provider: is required for a DNS challenge (or give meta.dns_provider_id)");
  }
  if (!dnsChallenge && named) {
    throw new ValidationError("meta.dns_challenge: must be true when a DNS provider is given");
  }
  const wildcard = domainNames.find((n) => n.startsWith("*."));
  if (!dnsChallenge && wildcard !== undefined) {
    throw new ValidationError(`meta.dns_challenge: wildcard name '${wildcard}' can only be validated by a DNS challenge`);
  }
  return { ...meta, dns_challenge: dnsChallenge };
}
