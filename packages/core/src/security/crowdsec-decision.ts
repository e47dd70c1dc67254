import { BlockList, isIP } from "node:net";

/** A CrowdSec decision as a proxy agent reports it (fields as CrowdSec's Local API names them). */
export interface ReportedDecision {
  /** The Local API's id (`cscli decisions delete --id`); with `agent`, what names a decision here. */
  id: number;
  origin: string;
  /** `Ip`, `Range`, `Country`, `AS`, … */
  scope: string;
  value: string;
  /** `ban`, `captcha`, … */
  type: string;
  scenario: string;
  /** Time left when the agent received the decision, as the Local API wrote it (`3h59m57.3368s`). */
  duration: string;
  /** When the decision ends (ISO 8601 UTC): when the agent received it plus `duration`. */
  until: string;
}

/** A decision as stored and listed (`GET /api/security/crowdsec/decisions`): which agent reported it. */
export interface CrowdSecDecision extends ReportedDecision {
  agent: string;
}

export interface DecisionFilter {
  /** Decisions on this address: its `Ip` decisions and the `Range` decisions that contain it. */
  ip?: string;
  scope?: string;
  type?: string;
}

/** Scope and type compare case-insensitively, as CrowdSec's own filters do. */
export function matchesDecision(decision: CrowdSecDecision, filter: DecisionFilter, now: Date): boolean {
  if (Date.parse(decision.until) <= now.getTime()) return false;
  if (filter.scope !== undefined && decision.scope.toLowerCase() !== filter.scope.toLowerCase()) return false;
  if (filter.type !== undefined && decision.type.toLowerCase() !== filter.type.toLowerCase()) return false;
  if (filter.ip === undefined) return true;
  const scope = decision.scope.toLowerCase();
  if (scope === "ip") return canonicalAddress(decision.value) === canonicalAddress(filter.ip);
  return scope === "range" && rangeContains(decision.value, filter.ip);
}

/**
 * One spelling per address, so that `2001:DB8:0::1` finds a decision on `2001:db8::1`: IPv6 as
 * RFC 5952 writes it (the WHATWG URL serialiser does exactly that). Anything else is returned as is.
 */
export function canonicalAddress(address: string): string {
  if (isIP(address) !== 6) return address;
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

function rangeContains(cidr: string, ip: string): boolean {
  const [network, bits] = cidr.split("/");
  const family = isIP(network ?? "");
  const prefix = Number(bits);
  if (family === 0 || isIP(ip) !== family || !Number.isInteger(prefix)) return false;
  const type = family === 4 ? "ipv4" : "ipv6";
  try {
    const list = new BlockList();
    list.addSubnet(network!, prefix, type);
    return list.check(ip, type);
  } catch {
    return false;
  }
}
