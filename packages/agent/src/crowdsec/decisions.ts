import { isIP } from "node:net";
import ipaddr from "ipaddr.js";
import parseDuration from "parse-duration";

/**
 * CrowdSec decisions as the bouncer keeps them. Pure: no I/O, the clock is a parameter.
 *
 * Source: the Local API's `GET /v1/decisions/stream` (CrowdSec's `swagger.yaml`, `Decision` and
 * `DecisionsStreamResponse`): `{ new: Decision[] | null, deleted: Decision[] | null }`.
 */

/** A decision as the Local API sends it. */
export interface LapiDecision {
  /** The Local API's own id (`cscli decisions delete --id`). */
  id: number;
  /** `crowdsec` (a scenario of this machine), `cscli` (added by hand), `CAPI`, `lists`, … */
  origin: string;
  /** `Ip`, `Range`, `Country`, `AS`, … (compared without case, as CrowdSec does). */
  scope: string;
  /** An address for `Ip`, a CIDR for `Range`. */
  value: string;
  /** `ban`, `captcha`, … */
  type: string;
  scenario: string;
  /** Time left, as Go writes durations: `3h59m57.3368s`, `-496.39ms` (already over). */
  duration: string;
}

/** A ban the proxy applies: an address or a network, until a moment. */
export interface AppliedDecision {
  id: number;
  scope: "Ip" | "Range";
  /** Canonical: an address (IPv6 as RFC 5952 writes it) or a CIDR with its host bits cleared. */
  value: string;
  type: "ban";
  scenario: string;
  origin: string;
  /** Time left when it arrived, as the Local API wrote it. */
  duration: string;
  /** When the ban ends (ISO 8601 UTC): the moment it arrived plus its `duration`. */
  until: string;
}

/** One pull's answer: `startup` replaces the whole set, otherwise the deltas since the last pull. */
export interface DecisionStream {
  new: LapiDecision[] | null;
  deleted: LapiDecision[] | null;
}

/**
 * The bans in force, by the Local API's id. Only `ban` decisions on `Ip` or `Range` become deny
 * rules: a `captcha` needs a page the proxy cannot serve without Lua, and `Country` or `AS`
 * needs a GeoIP database; those are counted in `skipped`, never enforced.
 */
export class BanSet {
  private readonly bans = new Map<number, AppliedDecision>();
  /** Decisions in force that the proxy does not apply (another type or scope), by id: when each ends (ms). */
  private readonly others = new Map<number, number>();

  /**
   * Takes one pull's answer received at `now`: with `startup` the answer is the whole set.
   * Returns whether the deny list may have changed.
   */
  update(stream: DecisionStream, now: Date, startup: boolean): boolean {
    const before = this.signature();
    if (startup) {
      this.bans.clear();
      this.others.clear();
    }
    for (const decision of stream.deleted ?? []) {
      this.bans.delete(decision.id);
      this.others.delete(decision.id);
    }
    for (const decision of stream.new ?? []) {
      const ban = toBan(decision, now);
      if (ban === null) this.others.set(decision.id, now.getTime() + (parseDuration(decision.duration) ?? 0));
      else this.bans.set(ban.id, ban);
    }
    this.expire(now);
    return this.signature() !== before;
  }

  /** Drops the bans whose time is over; returns whether any was. */
  expire(now: Date): boolean {
    let dropped = false;
    for (const [id, ban] of this.bans) {
      if (Date.parse(ban.until) <= now.getTime()) {
        this.bans.delete(id);
        dropped = true;
      }
    }
    for (const [id, until] of this.others) if (until <= now.getTime()) this.others.delete(id);
    return dropped;
  }

  /** How many decisions in force the proxy does not apply (`captcha`, `Country`, …). */
  get skipped(): number {
    return this.others.size;
  }

  /** The bans in force, lowest id first. */
  list(): AppliedDecision[] {
    return [...this.bans.values()].sort((a, b) => a.id - b.id);
  }

  private signature(): string {
    return denyList(this.list()).join(" ");
  }
}

/**
 * Ban set → deny list: the distinct addresses and CIDRs to refuse, sorted (IPv4 before IPv6,
 * then by text), so that equal sets render equal files. What a proxy's deny rule takes: nginx's
 * `geo` map (`renderDenyMap`), Caddy's `remote_ip` matcher.
 */
export function denyList(bans: readonly Pick<AppliedDecision, "value">[]): string[] {
  const values = [...new Set(bans.map((b) => b.value))];
  const family = (value: string) => (value.includes(":") ? 6 : 4);
  return values.sort((a, b) => family(a) - family(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** The ban a decision puts in force from `now`, or null when the proxy does not apply it. */
export function toBan(decision: LapiDecision, now: Date): AppliedDecision | null {
  if (decision.type.toLowerCase() !== "ban" || !Number.isInteger(decision.id)) return null;
  const scope = decision.scope.toLowerCase();
  const value = scope === "ip" ? canonicalAddress(decision.value) : scope === "range" ? canonicalNetwork(decision.value) : null;
  const left = parseDuration(decision.duration);
  if (value === null || left === null || !Number.isFinite(left)) return null;
  return {
    id: decision.id,
    scope: scope === "ip" ? "Ip" : "Range",
    value,
    type: "ban",
    scenario: decision.scenario,
    origin: decision.origin,
    duration: decision.duration,
    until: new Date(now.getTime() + Math.floor(left)).toISOString(),
  };
}

function canonicalAddress(text: string): string | null {
  return isIP(text) === 0 ? null : ipaddr.parse(text).toString();
}

/** `10.1.2.3/8` → `10.0.0.0/8`; a full-length prefix stays a network (`/32`, `/128`). */
function canonicalNetwork(text: string): string | null {
  const [address, bits, ...rest] = text.split("/");
  if (rest.length > 0 || address === undefined || isIP(address) === 0 || bits === undefined || !/^\d{1,3}$/.test(bits)) return null;
  const version = isIP(address);
  const prefix = Number(bits);
  if (prefix > (version === 4 ? 32 : 128)) return null;
  const network = version === 4 ? ipaddr.IPv4.networkAddressFromCIDR(text) : ipaddr.IPv6.networkAddressFromCIDR(text);
  return `${network.toString()}/${prefix}`;
}
