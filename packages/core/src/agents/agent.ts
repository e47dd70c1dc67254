import type { ProxyHost } from "../proxy-hosts/proxy-host.js";
import type { ReportedDecision } from "../security/crowdsec-decision.js";

/**
 * What a proxy agent (`packages/agent`) applies: every proxy host's fields a proxy needs and the
 * certificates in service, in one consistent snapshot (`GET /api/v1/agent/snapshot`). Hosts'
 * `meta` is left out: agents' reports write there, and a report must not change the snapshot.
 */
export type SnapshotHost = Omit<ProxyHost, "meta" | "version" | "created_on">;

/** A certificate in service: its names and chain, and its private key sealed to the asking agent. */
export interface SnapshotCertificate {
  id: number;
  domain_names: string[];
  expires_on: string | null;
  /** The leaf followed by its issuer chain, PEM. */
  fullchain_pem: string;
  /** The private key (PEM) as a compact JWE (ECDH-ES, A256GCM) to the agent's approved key; absent otherwise. */
  private_key_jwe?: string;
}

/**
 * An agent's public key (a JWK, EC P-256), registered by the agent and approved by someone who
 * may download private keys (`certificates` write): only then are keys sealed to it.
 */
export interface AgentKey {
  agent_id: string;
  public_key: Record<string, unknown>;
  /** RFC 7638 thumbprint: what the agent logs, and what the approval must name. */
  thumbprint: string;
  approved: boolean;
  registered_at: string;
  approved_at: string | null;
}

export interface AgentSnapshot {
  proxy_hosts: SnapshotHost[];
  certificates: SnapshotCertificate[];
}

/** One host's state at the proxy, as the agent applied it. */
export interface HostApplyReport {
  id: number;
  /** applied: the proxy serves the desired version; failed: it does not (see `problems`); disabled: not served. */
  status: "applied" | "failed" | "disabled";
  /** What the proxy serves for the host: the desired version, its last good one, or nothing. */
  serving: "desired" | "previous" | "none";
  tls: boolean;
  waf_mode: "block" | "monitor" | null;
  /**
   * The version of the host the agent applied (the snapshot's `modified_on`): the host's edge
   * state (`meta.nginx_online`) counts this entry only while it is the host's current version.
   */
  modified_on?: string;
}

/** A host's text: the proxy's own error line, or a note that is no failure (plain HTTP for now). */
export interface HostProblem {
  id: number;
  error: string | null;
  note: string | null;
}

/** An agent that is a CrowdSec bouncer: the bans its proxy enforces. */
export interface CrowdSecApplied {
  /** How many bans the proxy enforces; `decisions` holds at most 100 of them, the machine's own first. */
  decisions_total: number;
  /** Decisions in force that the proxy does not apply (`captcha`, `Country`, …). */
  skipped: number;
  /** Why the bans may not be current (the Local API does not answer, the proxy refused the list); null when they are. */
  error: string | null;
  decisions: ReportedDecision[];
}

/** A heartbeat: what one agent applied (`POST /api/v1/agent/reports`). */
export interface AgentReport {
  /** Chosen by the agent (its host name, say): several agents may serve one set of hosts. */
  agent_id: string;
  version: string;
  driver: "nginx" | "caddy";
  /** The ETag of the snapshot the agent applied last; null before its first. */
  applied_etag: string | null;
  /** The proxy's error when it took nothing (not running, its shared configuration refused). */
  proxy_error: string | null;
  hosts: HostApplyReport[];
  /** The texts of this part's failed hosts first, then notes (at most 100 a part). */
  problems: HostProblem[];
  /** Which part of the agent's report this is (1-based) and how many there are (AGENT_REPORT_LIMITS). */
  part: number;
  parts: number;
  /** Part 1 only; absent when the agent is no CrowdSec bouncer. */
  crowdsec?: CrowdSecApplied;
}

/**
 * A report's parts: a request's body stays within the API's 256 KiB limit with 500 hosts and 100
 * error texts; 100 parts carry 50 000 hosts.
 */
export const AGENT_REPORT_LIMITS = { hostsPerPart: 500, problemsPerPart: 100, parts: 100 } as const;

/** A report as stored: when it came, and which token sent it. */
export interface StoredAgentReport extends AgentReport {
  received_at: string;
  token_id: number;
}
