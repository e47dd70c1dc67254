import { isIP } from "node:net";
import { ValidationError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { ProxyHost, WafMode } from "../proxy-hosts/proxy-host.js";
import type { ProxyHostService } from "../proxy-hosts/service.js";
import type { SettingsService } from "../settings/service.js";
import { matchesDecision, type CrowdSecDecision, type DecisionFilter } from "./crowdsec-decision.js";
import type { CrowdSecDecisionRepository } from "./repository.js";

export type HostWafMode = WafMode | "off";

export interface WafHost {
  id: number;
  domain_names: string[];
}

/** `GET /api/security/waf`: the global switch and each host's mode. */
export interface WafStatus {
  enabled: boolean;
  counts: Record<HostWafMode, number>;
  hosts: Record<HostWafMode, WafHost[]>;
}

export function wafStatus(enabled: boolean, hosts: ProxyHost[]): WafStatus {
  const grouped: Record<HostWafMode, WafHost[]> = { block: [], monitor: [], off: [] };
  for (const host of hosts) {
    const mode: HostWafMode = host.waf_enabled ? host.waf_mode : "off";
    grouped[mode].push({ id: host.id, domain_names: host.domain_names });
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
  ) {}

  async waf(): Promise<WafStatus> {
    const [settings, hosts] = await Promise.all([this.settings.get(), this.hosts.listAll()]);
    return wafStatus(settings.waf_enabled, hosts);
  }

  /** Active decisions, filtered; `ip` must be an IPv4 or IPv6 address. */
  async crowdSecDecisions(filter: DecisionFilter): Promise<CrowdSecDecision[]> {
    if (filter.ip !== undefined && isIP(filter.ip) === 0) {
      throw new ValidationError(`ip: '${filter.ip}' is not an IPv4 or IPv6 address`, "Invalid query parameter");
    }
    const candidates = filter.ip === undefined ? await this.decisions.list() : await this.decisions.listForAddress(filter.ip);
    const now = this.clock.now();
    return candidates.filter((d) => matchesDecision(d, filter, now)).sort((a, b) => a.id - b.id);
  }
}
