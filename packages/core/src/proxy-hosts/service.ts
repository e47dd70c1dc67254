import { auditEntry, type Actor } from "../audit/entry.js";
import type { AgentReportRepository } from "../agents/repository.js";
import { EDGE_STATE_KEYS, edgeStates } from "../agents/edge-state.js";
import type { CertificateSummary } from "../certificates/certificate.js";
import type { CertificateService } from "../certificates/service.js";
import { certificateCovers } from "@charon/zones";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import { normaliseDomainNames } from "../names.js";
import type { Clock } from "../ports/clock.js";
import type { Page, PageRequest } from "../ports/page.js";
import {
  proxyHostDefaults,
  type CertificateChoice,
  type ProxyHost,
  type ProxyHostFields,
  type ProxyHostPatch,
  type ProxyLocation,
  type ProxyLocationInput,
} from "./proxy-host.js";
import type { ProxyHostRepository } from "./repository.js";
import { canonicalForwardHost, canonicalLocationPath, checkForwardPath, splitLocationUpstream } from "./upstream.js";

/** A host as the API shows it: with its certificate's summary (null when it has none). */
export type ProxyHostDetails = ProxyHost & { certificate: CertificateSummary | null };

export type NewProxyHost = ProxyHostPatch & Pick<ProxyHostFields, "domain_names" | "forward_host" | "forward_port">;

export class ProxyHostService {
  constructor(
    private readonly hosts: ProxyHostRepository,
    private readonly certificates: CertificateService,
    private readonly clock: Clock,
    /** The agents' last reports, for each host's `meta.nginx_online` / `nginx_err` (none: no agent). */
    private readonly reports?: Pick<AgentReportRepository, "listAll">,
  ) {}

  async list(page: PageRequest): Promise<Page<ProxyHostDetails>> {
    const { items, cursor } = await this.hosts.list(page);
    return { items: await this.withCertificates(items), cursor };
  }

  /** Every host without certificate summaries (for views that only count or group hosts). */
  listAll(): Promise<ProxyHost[]> {
    return this.hosts.listAll();
  }

  async get(id: number): Promise<ProxyHostDetails> {
    const [details] = await this.withCertificates([await this.stored(id)]);
    return details!;
  }

  /**
   * Creates a host. `certificate_id: "new"` first requests a certificate for the host's names
   * (with the host's `meta.dns_challenge` / `dns_provider` / `dns_provider_id`); it is removed
   * again if the host cannot be stored. A certificate id must name a certificate that covers every
   * one of the host's names (ConflictError naming those it does not; NotFoundError when it names none).
   */
  async create(actor: Actor, input: NewProxyHost): Promise<ProxyHostDetails> {
    const fields = { ...proxyHostDefaults, ...canonicalFields(input) };
    const domainNames = fields.domain_names;
    await this.checkCoverage(fields);
    const now = this.clock.now();
    return this.withNewCertificate(actor, fields, async (certificateId) => {
      const host = await this.hosts.create({ ...fields, certificate_id: certificateId, created_on: now.toISOString() }, (id) =>
        auditEntry(actor, now, {
          action: "proxy_host_created",
          resourceType: "proxy_host",
          resourceId: id,
          resourceName: domainNames[0] ?? null,
          provider: null,
          zoneFilter: null,
          details: { domain_names: domainNames, certificate_id: certificateId },
        }),
      );
      return this.get(host.id);
    });
  }

  /** Partial update: only the fields in `patch` change. */
  async update(actor: Actor, id: number, patch: ProxyHostPatch): Promise<ProxyHostDetails> {
    const previous = await this.stored(id);
    const fields = { ...fieldsOf(previous), ...canonicalFields(patch) };
    // A host stored before the coverage rule keeps working until its names or certificate change.
    if (patch.domain_names !== undefined || patch.certificate_id !== undefined) await this.checkCoverage(fields);
    return this.withNewCertificate(actor, fields, async (certificateId) => {
      await this.write(actor, previous, { ...fields, certificate_id: certificateId }, "proxy_host_updated", Object.keys(patch));
      return this.get(id);
    });
  }

  async setEnabled(actor: Actor, id: number, enabled: boolean): Promise<ProxyHostDetails> {
    const previous = await this.stored(id);
    const action = enabled ? "proxy_host_enabled" : "proxy_host_disabled";
    await this.write(actor, previous, { ...fieldsOf(previous), enabled }, action, ["enabled"]);
    return this.get(id);
  }

  async delete(actor: Actor, id: number): Promise<void> {
    const host = await this.stored(id);
    await this.hosts.delete(host, this.audit(actor, "proxy_host_deleted", host, {}));
  }

  private async write(
    actor: Actor,
    previous: ProxyHost,
    next: ProxyHostFields,
    action: string,
    changed: string[],
  ): Promise<ProxyHost> {
    const audit = this.audit(actor, action, { ...previous, ...next }, { changed_fields: changed });
    return this.hosts.update(previous, { ...next, modified_on: this.clock.now().toISOString() }, audit);
  }

  private async withNewCertificate<T>(
    actor: Actor,
    fields: Omit<ProxyHostFields, "certificate_id"> & { certificate_id: CertificateChoice },
    store: (certificateId: number) => Promise<T>,
  ): Promise<T> {
    if (fields.certificate_id !== "new") return store(fields.certificate_id);
    const meta = fields.meta;
    const certificate = await this.certificates.create(actor, {
      provider: "letsencrypt",
      domain_names: fields.domain_names,
      meta: {
        dns_challenge: typeof meta["dns_challenge"] === "boolean" ? meta["dns_challenge"] : undefined,
        dns_provider: typeof meta["dns_provider"] === "string" ? meta["dns_provider"] : undefined,
        dns_provider_id: typeof meta["dns_provider_id"] === "number" ? meta["dns_provider_id"] : undefined,
      },
    });
    try {
      return await store(certificate.id);
    } catch (error) {
      await this.certificates.delete(actor, certificate.id).catch(() => undefined);
      throw error;
    }
  }

  /** A browser shown a certificate without the host's name refuses it: every name must be covered. */
  private async checkCoverage({ certificate_id, domain_names }: { certificate_id: CertificateChoice; domain_names: string[] }) {
    if (certificate_id === "new" || certificate_id === 0) return;
    const certificate = await this.certificates.get(certificate_id).catch((error: unknown) => {
      if (error instanceof NotFoundError) throw new NotFoundError("Certificate", certificate_id, "certificate_id");
      throw error;
    });
    const uncovered = domain_names.filter((name) => !certificateCovers(certificate.domain_names, name));
    if (uncovered.length === 0) return;
    // A 409, not a 400: the request is well formed, the stored certificate is what does not fit it.
    throw new ConflictError(
      // Only the host's own names: the certificate's are not for a token that may not read certificates.
      `certificate_id: certificate ${certificate_id} does not cover ${uncovered.join(", ")}: ` +
        'add the names to a certificate that covers them all, or use "new" to request one',
      { uncovered_domain_names: uncovered },
    );
  }

  private async stored(id: number): Promise<ProxyHost> {
    const host = await this.hosts.get(id);
    if (!host) throw new NotFoundError("Proxy host", id);
    return host;
  }

  /**
   * The hosts as the API shows them: with their certificate's summary and, in `meta`, their state
   * at the edge (`nginx_online`, `nginx_err`) from the agents' last reports (edge-state.ts).
   */
  private async withCertificates(hosts: ProxyHost[]): Promise<ProxyHostDetails[]> {
    const [summaries, reports] = await Promise.all([
      this.certificates.summaries(hosts.map((h) => h.certificate_id)),
      this.reports ? this.reports.listAll() : [],
    ]);
    const states = edgeStates(hosts, reports, this.clock.now());
    return hosts.map((host) => ({
      ...host,
      meta: { ...host.meta, ...states.get(host.id) },
      certificate: summaries.get(host.certificate_id) ?? null,
    }));
  }

  private audit(actor: Actor, action: string, host: ProxyHost, details: Record<string, unknown>) {
    return auditEntry(actor, this.clock.now(), {
      action,
      resourceType: "proxy_host",
      resourceId: host.id,
      resourceName: host.domain_names[0] ?? null,
      provider: null,
      zoneFilter: null,
      details: { domain_names: host.domain_names, ...details },
    });
  }
}

/**
 * The fields of a create or update that end up in proxy configuration, in canonical form
 * (upstream.ts); the others as given.
 */
function canonicalFields<T extends ProxyHostPatch>(input: T): Omit<T, "locations"> & { locations?: ProxyLocation[] } {
  const { locations, ...rest } = input;
  return {
    ...rest,
    ...(input.meta !== undefined ? { meta: withoutEdgeState(input.meta) } : {}),
    ...(input.domain_names !== undefined ? { domain_names: normaliseDomainNames("domain_names", input.domain_names) } : {}),
    ...(input.forward_host !== undefined ? { forward_host: canonicalForwardHost("forward_host", input.forward_host) } : {}),
    ...(input.forward_path !== undefined ? { forward_path: checkForwardPath("forward_path", input.forward_path) } : {}),
    ...(locations !== undefined ? { locations: canonicalLocations(locations) } : {}),
  };
}

/** Each location's path and upstream in canonical form; two that nginx would call duplicates are a 400. */
function canonicalLocations(locations: ProxyLocationInput[]): ProxyLocation[] {
  const seen = new Map<string, number>();
  return locations.map((location, index) => {
    const field = `locations.${index}`;
    const { path, key } = canonicalLocationPath(`${field}.path`, location.path);
    const first = seen.get(key);
    if (first !== undefined) {
      throw new ValidationError(`${field}.path: '${path}' is the same location as locations.${first}: nginx refuses duplicate locations`);
    }
    seen.set(key, index);
    return { ...location, path, ...splitLocationUpstream(field, location.forward_host, location.forward_path) };
  });
}

/**
 * `meta` without the edge state: Nginx Proxy Manager's clients send back the `meta` they read, and
 * `nginx_online` / `nginx_err` are the agents' to say, derived on read, never stored.
 */
function withoutEdgeState(meta: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...meta };
  for (const key of EDGE_STATE_KEYS) delete rest[key];
  return rest;
}

function fieldsOf(host: ProxyHost): ProxyHostFields {
  const { id: _id, created_on: _created, modified_on: _modified, version: _version, ...fields } = host;
  return fields;
}
