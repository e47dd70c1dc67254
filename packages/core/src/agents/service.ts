import { createHash } from "node:crypto";
import type { Principal } from "../access/permissions.js";
import type { IssuanceRepository } from "../certificates/order.js";
import type { CertificateService } from "../certificates/service.js";
import type { Clock } from "../ports/clock.js";
import type { ProxyHostService } from "../proxy-hosts/service.js";
import type { ProxyHost } from "../proxy-hosts/proxy-host.js";
import type { AgentReport, AgentSnapshot, SnapshotCertificate, SnapshotHost, StoredAgentReport } from "./agent.js";
import type { AgentReportRepository } from "./repository.js";

/** Certificates are listed a page at a time (the repository's own page size limit). */
const PAGE = 500;

/** An agent's last report beside the snapshot it should have applied. */
export interface AgentStatus extends StoredAgentReport {
  /** The ETag of the snapshot now: equal to `applied_etag` when the agent is up to date. */
  desired_etag: string;
  in_sync: boolean;
}

/**
 * Desired state for the proxy agents and their reports (issue 11). The snapshot is built from
 * storage on each request and named by a strong ETag over its canonical JSON, so an agent's
 * no-change poll is answered 304 without a body.
 */
export class AgentService {
  constructor(
    private readonly deps: {
      proxyHosts: Pick<ProxyHostService, "listAll">;
      certificates: Pick<CertificateService, "list">;
      material: Pick<IssuanceRepository, "material">;
      reports: AgentReportRepository;
      clock: Clock;
    },
  ) {}

  /** Every proxy host (disabled ones too: the agent stops serving them) and the certificates in service. */
  async snapshot(): Promise<{ snapshot: AgentSnapshot; etag: string }> {
    const hosts = (await this.deps.proxyHosts.listAll()).sort((a, b) => a.id - b.id);
    const proxy_hosts = hosts.map(snapshotHost);
    const certificates: SnapshotCertificate[] = [];
    for (let cursor: string | undefined, first = true; first || cursor !== undefined; first = false) {
      const page = await this.deps.certificates.list({ limit: PAGE, ...(cursor === undefined ? {} : { cursor }) });
      for (const certificate of page.items) {
        const material = await this.deps.material.material(certificate.id);
        if (!material) continue;
        certificates.push({
          id: certificate.id,
          domain_names: certificate.domain_names,
          expires_on: certificate.expires_on,
          fullchain_pem: fullChain(material.certificatePem, material.chainPem),
        });
      }
      cursor = page.cursor;
    }
    certificates.sort((a, b) => a.id - b.id);
    const snapshot = { proxy_hosts, certificates };
    return { snapshot, etag: etagOf(snapshot) };
  }

  /** Stores an agent's heartbeat, replacing its previous one. */
  async report(principal: Principal, report: AgentReport): Promise<StoredAgentReport> {
    const stored: StoredAgentReport = { ...report, received_at: this.deps.clock.now().toISOString(), token_id: principal.tokenId };
    await this.deps.reports.put(stored);
    return stored;
  }

  /** Every agent's last report and whether it applied the snapshot there is now. */
  async list(): Promise<AgentStatus[]> {
    const [reports, { etag }] = await Promise.all([this.deps.reports.listAll(), this.snapshot()]);
    return reports
      .sort((a, b) => a.agent_id.localeCompare(b.agent_id))
      .map((report) => ({ ...report, desired_etag: etag, in_sync: report.applied_etag === etag }));
  }
}

/** The fields in a fixed order (storage returns attributes in any order; the ETag hashes the JSON). */
function snapshotHost(host: ProxyHost): SnapshotHost {
  return {
    id: host.id,
    modified_on: host.modified_on,
    domain_names: [...host.domain_names],
    forward_scheme: host.forward_scheme,
    forward_host: host.forward_host,
    forward_port: host.forward_port,
    forward_path: host.forward_path,
    certificate_id: host.certificate_id,
    ssl_forced: host.ssl_forced,
    hsts_enabled: host.hsts_enabled,
    hsts_subdomains: host.hsts_subdomains,
    http2_support: host.http2_support,
    block_exploits: host.block_exploits,
    caching_enabled: host.caching_enabled,
    allow_websocket_upgrade: host.allow_websocket_upgrade,
    advanced_config: host.advanced_config,
    enabled: host.enabled,
    locations: host.locations.map((l) => ({
      path: l.path,
      forward_scheme: l.forward_scheme,
      forward_host: l.forward_host,
      forward_port: l.forward_port,
      forward_path: l.forward_path,
      advanced_config: l.advanced_config,
    })),
    waf_enabled: host.waf_enabled,
    waf_mode: host.waf_mode,
  };
}

function fullChain(certificatePem: string, chainPem: string): string {
  const leaf = certificatePem.endsWith("\n") ? certificatePem : `${certificatePem}\n`;
  return `${leaf}${chainPem}`;
}

/** A strong ETag (RFC 9110 §8.8.3): SHA-256 of the snapshot's JSON, whose keys come in a fixed order. */
function etagOf(snapshot: AgentSnapshot): string {
  return `"${createHash("sha256").update(JSON.stringify(snapshot)).digest("base64url")}"`;
}
