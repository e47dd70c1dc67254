import { isIP } from "node:net";
import type { StoredAgentReport } from "../agents/agent.js";
import { reportedWaf, type ReportedWaf } from "../agents/edge-state.js";
import type { AgentReportRepository } from "../agents/repository.js";
import { ValidationError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { Page, PageRequest } from "../ports/page.js";
import type { ProxyHost, WafMode } from "../proxy-hosts/proxy-host.js";
import type { ProxyHostService } from "../proxy-hosts/service.js";
import type { SettingsService } from "../settings/service.js";
import { canonicalAddress, matchesDecision, type CrowdSecDecision, type DecisionFilter } from "./crowdsec-decision.js";
import type { CrowdSecDecisionRepository } from "./repository.js";

export type HostWafMode = WafMode | "off";

export interface WafHost {
  id: number;
  domain_names: string[];
  /** The mode each agent that applied the host's current version has in effect (edge-state.ts). */
  reported: ReportedWaf[];
}

/** `GET /api/security/waf`: the global switch and each host's mode. */
export interface WafStatus {
  enabled: boolean;
  counts: Record<HostWafMode, number>;
  hosts: Record<HostWafMode, WafHost[]>;
}

/**
 * Hosts by the WAF mode they should serve with (a disabled host serves nothing, so it counts as
 * `off`), each with the mode the agents' last reports say is in effect.
 */
export function wafStatus(enabled: boolean, hosts: ProxyHost[], reports: StoredAgentReport[] = [], now = new Date()): WafStatus {
  const grouped: Record<HostWafMode, WafHost[]> = { block: [], monitor: [], off: [] };
  const reported = reportedWaf(hosts, reports, now);
  for (const host of hosts) {
    const mode: HostWafMode = host.enabled && host.waf_enabled ? host.waf_mode : "off";
    grouped[mode].push({ id: host.id, domain_names: host.domain_names, reported: reported.get(host.id) ?? [] });
  }
  return {
    enabled,
    counts: { block: grouped.block.length, monitor: grouped.monitor.length, off: grouped.off.length },
    hosts: grouped,
  };
}

export class SecurityService {
  constructor(
    private readonly hosts: ProxyHostService,
    private readonly settings: SettingsService,
    private readonly decisions: CrowdSecDecisionRepository,
    private readonly clock: Clock,
    private readonly reports: Pick<AgentReportRepository, "listAll">,
  ) {}

  async waf(): Promise<WafStatus> {
    const [settings, hosts, reports] = await Promise.all([this.settings.get(), this.hosts.listAll(), this.reports.listAll()]);
    return wafStatus(settings.waf_enabled, hosts, reports, this.clock.now());
  }

  /**
   * Active decisions, filtered, lowest id first. Without `ip` they are read a page of stored
   * decisions at a time, and those expired or filtered out are left out of it: a page can hold
   * fewer than `limit`, even none, with more to follow. With `ip` (an IPv4 or IPv6 address) the
   * few that concern the address come in one page.
   */
  async crowdSecDecisions(filter: DecisionFilter, page: PageRequest): Promise<Page<CrowdSecDecision>> {
    const now = this.clock.now();
    const active = (decisions: CrowdSecDecision[]) => decisions.filter((d) => matchesDecision(d, filter, now));
    if (filter.ip === undefined) {
      const { items, cursor } = await this.decisions.list(page);
      return { items: active(items), cursor };
    }
    if (isIP(filter.ip) === 0) {
      throw new ValidationError(`ip: '${filter.ip}' is not an IPv4 or IPv6 address`, "Invalid query parameter");
    }
    const candidates = await this.decisions.listForAddress(canonicalAddress(filter.ip));
    return { items: active(candidates).sort((a, b) => a.id - b.id || (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0)) };
  }
}
