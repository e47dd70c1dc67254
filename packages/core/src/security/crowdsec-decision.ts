import { BlockList, isIP } from "node:net";

/** A CrowdSec decision reported by a proxy agent (fields as CrowdSec's LAPI names them). */
export interface CrowdSecDecision {
  id: number;
  origin: string;
  /** `Ip`, `Range`, `Country`, `AS`, … */
  scope: string;
  value: string;
  /** `ban`, `captcha`, … */
  type: string;
  scenario: string;
  /** As CrowdSec reports it, e.g. `3h59m12s`. */
  duration: string;
  /** When the decision ends (ISO 8601 UTC). */
  until: string;
  /** The agent that reported it. */
  agent: string;
}

export type NewCrowdSecDecision = Omit<CrowdSecDecision, "id">;

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
