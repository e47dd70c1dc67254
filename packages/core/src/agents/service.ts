import { createHash } from "node:crypto";
import type { Principal } from "../access/permissions.js";
import { auditEntry, type Actor } from "../audit/entry.js";
import type { IssuanceRepository } from "../certificates/order.js";
import { NotFoundError, ValidationError } from "../errors.js";
import type { AgentKeySealer } from "../ports/agent-key-sealer.js";
import type { CertificateService } from "../certificates/service.js";
import type { Clock } from "../ports/clock.js";
import type { ProxyHostService } from "../proxy-hosts/service.js";
import type { ProxyHost } from "../proxy-hosts/proxy-host.js";
import type { CrowdSecDecisionRepository } from "../security/repository.js";
import type { AgentKey, AgentReport, AgentSnapshot, SnapshotCertificate, SnapshotHost, StoredAgentReport } from "./agent.js";
import type { AgentReportRepository, DesiredStateVersion } from "./repository.js";

/**
 * How long a built snapshot's hash answers polls without a rebuild while no write marked the state
 * changed: a write whose mark was lost (a crash between the two) shows after at most this long.
 */
export const SNAPSHOT_MARK_MAX_AGE_MS = 5 * 60_000;

/** Certificates are listed a page at a time (the repository's own page size limit). */
const PAGE = 500;

/** An agent's last report beside the snapshot it should have applied. */
export interface AgentStatus extends StoredAgentReport {
  /** The ETag of the snapshot now: equal to `applied_etag` when the agent is up to date. */
  desired_etag: string;
  in_sync: boolean;
}

/**
 * Desired state for the proxy agents and their reports (issue 11). The snapshot is named by a
 * strong ETag over its canonical JSON, kept beside the desired state's version mark, so an
 * agent's no-change poll is answered 304 without a body from two small reads (decision 0022).
 */
export class AgentService {
  constructor(
    private readonly deps: {
      proxyHosts: Pick<ProxyHostService, "listAll">;
      certificates: Pick<CertificateService, "list" | "files">;
      material: Pick<IssuanceRepository, "material">;
      reports: AgentReportRepository;
      state: DesiredStateVersion;
      decisions: Pick<CrowdSecDecisionRepository, "replaceForAgent">;
      sealer: AgentKeySealer;
      clock: Clock;
    },
  ) {}

  /**
   * The snapshot for `agentId` (optional): its ETag, and the body to send (with the ETag of what
   * it holds) when the ETag is not the one the agent has. With an approved key for that agent the
   * certificates carry their private keys sealed to it (opened and sealed only when the body is
   * asked for, never for a 304); the ETag then also names the key, so an approval changes it.
   *
   * A no-change poll is cheap: while the desired state's mark says no write happened since the
   * snapshot was last built (and that is less than SNAPSHOT_MARK_MAX_AGE_MS ago), the ETag comes
   * from the mark, two small reads. Otherwise the snapshot is built and its hash recorded.
   */
  async snapshot(agentId?: string): Promise<{ etag: string; body: () => Promise<{ etag: string; snapshot: AgentSnapshot }> }> {
    const [mark, key] = await Promise.all([this.deps.state.read(), agentId === undefined ? undefined : this.deps.reports.getKey(agentId)]);
    const sealTo = key?.approved ? key : undefined;
    const thumbprint = sealTo?.thumbprint ?? null;
    const finish = async (snapshot: AgentSnapshot, hash: string) => ({ etag: etagOf(hash, thumbprint), snapshot: sealTo ? await this.sealed(snapshot, sealTo) : snapshot });
    const now = this.deps.clock.now();
    const built = mark.built;
    if (built !== null && built.version === mark.version && now.getTime() - Date.parse(built.at) < SNAPSHOT_MARK_MAX_AGE_MS) {
      // The body is read after the mark, so it holds at least what the mark's ETag names.
      return {
        etag: etagOf(built.hash, thumbprint),
        body: async () => {
          const snapshot = await this.unsealed();
          return finish(snapshot, hashOf(snapshot));
        },
      };
    }
    const snapshot = await this.unsealed();
    const hash = hashOf(snapshot);
    await this.deps.state.recordBuilt(mark.version, hash, now.toISOString());
    return { etag: etagOf(hash, thumbprint), body: () => finish(snapshot, hash) };
  }

  /**
   * Registers the public key an agent generated (a JWK, EC P-256). The same key again keeps its
   * approval; a different one replaces it unapproved (no key is sealed to it until approved).
   */
  async registerKey(actor: Actor, agentId: string, publicKey: Record<string, unknown>): Promise<AgentKey> {
    const thumbprint = await this.deps.sealer.thumbprint(publicKey);
    const existing = await this.deps.reports.getKey(agentId);
    if (existing && existing.thumbprint === thumbprint) return existing;
    const now = this.deps.clock.now();
    const key: AgentKey = { agent_id: agentId, public_key: publicKey, thumbprint, approved: false, registered_at: now.toISOString(), approved_at: null };
    // Audited: a new key changes whom private keys may be sealed to (it drops an earlier approval).
    await this.deps.reports.putKey(
      key,
      this.audit(actor, now, "agent_key_registered", key, { replaced_thumbprint: existing?.thumbprint ?? null, replaced_approved: existing?.approved ?? false }),
    );
    return key;
  }

  /**
   * Lets private keys be sealed to the key `agentId` registered. `thumbprint` must be the one the
   * agent logged, so that what is approved is the key its operator saw, not one put in its place.
   */
  async approveKey(actor: Actor, agentId: string, thumbprint: string): Promise<AgentKey> {
    const key = await this.deps.reports.getKey(agentId);
    if (!key) throw new NotFoundError("Agent key of", agentId);
    if (key.thumbprint !== thumbprint) {
      throw new ValidationError(`thumbprint: '${thumbprint}' is not the key agent '${agentId}' registered (its thumbprint is ${key.thumbprint})`);
    }
    if (key.approved) return key;
    const now = this.deps.clock.now();
    const approved: AgentKey = { ...key, approved: true, approved_at: now.toISOString() };
    await this.deps.reports.putKey(approved, this.audit(actor, now, "agent_key_approved", approved, {}));
    return approved;
  }

  /** An audit entry for an agent's key (its thumbprint is public: what the agent logs). */
  private audit(actor: Actor, at: Date, action: string, key: AgentKey, details: Record<string, unknown>) {
    return auditEntry(actor, at, {
      action,
      resourceType: "agent",
      resourceId: key.agent_id,
      resourceName: key.agent_id,
      provider: null,
      zoneFilter: null,
      details: { thumbprint: key.thumbprint, ...details },
    });
  }

  /** Every proxy host (disabled ones too: the agent stops serving them) and the certificates in service. */
  private async unsealed(): Promise<AgentSnapshot> {
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
    return { proxy_hosts, certificates };
  }

  private async sealed(snapshot: AgentSnapshot, key: AgentKey): Promise<AgentSnapshot> {
    const certificates: SnapshotCertificate[] = [];
    for (const certificate of snapshot.certificates) {
      const files = await this.deps.certificates.files(certificate.id);
      certificates.push({ ...certificate, private_key_jwe: await this.deps.sealer.sealFor(key.public_key, files.privateKeyPem) });
    }
    return { ...snapshot, certificates };
  }

  /**
   * Stores an agent's heartbeat (one part of it), replacing that part of its previous one. Part 1
   * also makes its CrowdSec bans the ones listed for it (none when it is no bouncer). Both steps
   * repeat harmlessly: a retried or interrupted report is finished by the next heartbeat.
   */
  async report(principal: Principal, report: AgentReport): Promise<StoredAgentReport> {
    if (report.part > report.parts) throw new ValidationError(`part: ${report.part} is more than parts (${report.parts})`);
    if (report.part > 1 && report.crowdsec !== undefined) throw new ValidationError(`crowdsec: only part 1 carries the CrowdSec bans (this is part ${report.part})`);
    const stored: StoredAgentReport = { ...report, received_at: this.deps.clock.now().toISOString(), token_id: principal.tokenId };
    await this.deps.reports.put(stored);
    if (report.part === 1) await this.deps.decisions.replaceForAgent(report.agent_id, report.crowdsec?.decisions ?? []);
    return stored;
  }

  /** Every agent's last report and whether it applied the snapshot there is now (for its key). */
  async list(): Promise<AgentStatus[]> {
    const [reports, snapshot] = await Promise.all([this.deps.reports.listAll(), this.unsealed()]);
    const hash = hashOf(snapshot);
    const statuses: AgentStatus[] = [];
    for (const report of reports.sort((a, b) => a.agent_id.localeCompare(b.agent_id))) {
      const key = await this.deps.reports.getKey(report.agent_id);
      const etag = etagOf(hash, key?.approved ? key.thumbprint : null);
      statuses.push({ ...report, desired_etag: etag, in_sync: report.applied_etag === etag });
    }
    return statuses;
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

/** SHA-256 of the unsealed snapshot's JSON (keys in a fixed order), base64url. */
function hashOf(snapshot: AgentSnapshot): string {
  return createHash("sha256").update(JSON.stringify(snapshot)).digest("base64url");
}

/**
 * A strong ETag (RFC 9110 §8.8.3): SHA-256 of the snapshot's hash and of the key its private keys
 * are sealed to. Sealing is randomised (a fresh ephemeral key each time), so the sealed body itself
 * is not hashed: a renewed certificate changes its chain anyway.
 */
function etagOf(snapshotHash: string, sealedTo: string | null): string {
  return `"${createHash("sha256").update(JSON.stringify({ snapshot: snapshotHash, sealed_to: sealedTo })).digest("base64url")}"`;
}
