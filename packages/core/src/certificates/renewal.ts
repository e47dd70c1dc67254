/**
 * When a certificate is renewed (shared/spec/dns-01.md §4): the CA's ACME Renewal Information
 * first (RFC 9773), the lifetime backstops otherwise, and after a failure Let's Encrypt's
 * integration-guide backoff. Pure: the clock and the random source are arguments.
 */

export const RENEWAL_DUE_SOURCES = ["ari", "lifetime"] as const;
/** `ari`: a time picked in the CA's suggested window; `lifetime`: dns-01.md §4's fraction of the lifetime. */
export type RenewalDueSource = (typeof RENEWAL_DUE_SOURCES)[number];

/** A name's consecutive failed orders since its last success (Let's Encrypt pauses a name after 1,152). */
export interface NameFailures {
  domain: string;
  consecutive_failures: number;
}

/** What a certificate in service carries about its next renewal (all times ISO 8601). */
export interface RenewalSchedule {
  /** When the certificate should be renewed: from the CA's window or from its lifetime. */
  renewal_due_at: string;
  renewal_due_source: RenewalDueSource;
  /** The CA's `explanationURL` (RFC 9773 §4.2), when it gave one. */
  renewal_explanation_url: string | null;
  /** When the CA's renewal information is fetched next; null when the CA offers none. */
  renewal_info_check_at: string | null;
  /** After a failure (or the hourly limit): no attempt before this. */
  renewal_retry_at: string | null;
  /** The names whose last orders failed, with how many in a row. */
  renewal_failures: NameFailures[];
}

/** RFC 9773 §4.2's answer: the suggested window, and what the HTTP response said. */
export interface RenewalInfo {
  start: Date;
  end: Date;
  explanationUrl?: string;
  /** `Retry-After` of the response, in seconds. */
  retryAfterSeconds?: number;
}

/** The certificate in service, as far as timing goes. */
export interface Validity {
  /** When it was issued (its lifetime's start). */
  issuedAt: Date;
  /** Its `notAfter`. */
  expiresAt: Date;
}

/** Something that happened to a certificate, and the schedule it leads to (`planRenewal`). */
export type RenewalEvent =
  /** A certificate was stored; `renewalInfo`: the CA's directory offers ARI. */
  | { kind: "issued"; validity: Validity; renewalInfo: boolean }
  /** The CA's renewal information was fetched (undefined: it could not be, the lifetime applies). */
  | { kind: "renewal_info"; validity: Validity; info: RenewalInfo | undefined }
  /** A renewal order failed; `names`: those blamed (all of the certificate's when empty). */
  | { kind: "failed"; names: string[]; allNames: string[] }
  /** A name reached the hourly limit of failed orders (`FailedAuthorizations`): nothing before `until`. */
  | { kind: "limited"; until: Date };

/** Retry waits after the 1st, 2nd, 3rd failure, then daily (Let's Encrypt's integration guide). */
export const RETRY_DELAYS_SECONDS = [60, 600, 6000] as const;
export const DAILY_RETRY_SECONDS = 86_400;

/** dns-01.md §4: at most this many failed authorizations per name per hour (counted as failed orders). */
export const FAILED_AUTHORIZATIONS_PER_HOUR = 5;

/** Fetch renewal information at least twice a day, and not more often than every minute. */
const MAX_INFO_CHECK_SECONDS = 12 * 3600;
const MIN_INFO_CHECK_SECONDS = 60;
/** Without a `Retry-After` (or after a failed fetch): look again in six hours. */
const DEFAULT_INFO_CHECK_SECONDS = 6 * 3600;

/** Seconds to wait after `consecutiveFailures` failures in a row (≥ 1): 1 min, 10 min, 100 min, then a day. */
export function retryDelaySeconds(consecutiveFailures: number): number {
  return RETRY_DELAYS_SECONDS[Math.max(0, consecutiveFailures - 1)] ?? DAILY_RETRY_SECONDS;
}

/**
 * dns-01.md §4's backstop: renew when a third of the lifetime remains, half of it for
 * certificates of ten days or less.
 */
export function lifetimeRenewalAt({ issuedAt, expiresAt }: Validity): Date {
  const lifetime = expiresAt.getTime() - issuedAt.getTime();
  const remaining = lifetime <= 10 * 86_400_000 ? lifetime / 2 : lifetime / 3;
  return new Date(expiresAt.getTime() - remaining);
}

/**
 * RFC 9773 §4.2: a uniformly random time in the suggested window (`random()` in [0, 1)); the
 * window is ignored past the point where only 1/20 of the lifetime remains.
 */
export function windowRenewalAt(info: RenewalInfo, { issuedAt, expiresAt }: Validity, random: () => number): Date {
  const start = info.start.getTime();
  const end = Math.max(start, info.end.getTime());
  const picked = start + Math.floor(random() * (end - start));
  const latest = expiresAt.getTime() - (expiresAt.getTime() - issuedAt.getTime()) / 20;
  return new Date(Math.min(picked, latest));
}

/**
 * The one schedule: what `event` makes of `current` (undefined before the first issuance) at
 * `now`. Every renewal timing rule of dns-01.md §4 is here, so the sweep, the issuer and the
 * API only apply it.
 */
export function planRenewal(
  current: RenewalSchedule | undefined,
  event: RenewalEvent,
  now: Date,
  random: () => number = Math.random,
): RenewalSchedule {
  switch (event.kind) {
    case "issued":
      return {
        renewal_due_at: lifetimeRenewalAt(event.validity).toISOString(),
        renewal_due_source: "lifetime",
        renewal_explanation_url: null,
        // Fetched at the next sweep: the CA's window replaces the backstop then.
        renewal_info_check_at: event.renewalInfo ? now.toISOString() : null,
        renewal_retry_at: null,
        renewal_failures: [],
      };
    case "renewal_info": {
      const base = current ?? planRenewal(undefined, { kind: "issued", validity: event.validity, renewalInfo: true }, now);
      const info = event.info;
      const waitSeconds = info?.retryAfterSeconds ?? DEFAULT_INFO_CHECK_SECONDS;
      const next = new Date(now.getTime() + 1000 * Math.min(MAX_INFO_CHECK_SECONDS, Math.max(MIN_INFO_CHECK_SECONDS, waitSeconds)));
      if (!info) {
        return {
          ...base,
          renewal_due_at: lifetimeRenewalAt(event.validity).toISOString(),
          renewal_due_source: "lifetime",
          renewal_explanation_url: null,
          renewal_info_check_at: next.toISOString(),
        };
      }
      // The same window keeps the time picked in it, so that checking twice a day does not re-roll it.
      const kept =
        base.renewal_due_source === "ari" &&
        Date.parse(base.renewal_due_at) >= info.start.getTime() &&
        Date.parse(base.renewal_due_at) <= info.end.getTime();
      return {
        ...base,
        renewal_due_at: kept ? base.renewal_due_at : windowRenewalAt(info, event.validity, random).toISOString(),
        renewal_due_source: "ari",
        renewal_explanation_url: info.explanationUrl ?? null,
        renewal_info_check_at: next.toISOString(),
      };
    }
    case "failed": {
      if (!current) throw new Error("planRenewal: a failed renewal needs the schedule of the certificate in service");
      const blamed = new Set(event.names.length > 0 ? event.names : event.allNames);
      const counts = new Map(current.renewal_failures.map((f) => [f.domain, f.consecutive_failures]));
      for (const name of blamed) counts.set(name, (counts.get(name) ?? 0) + 1);
      const failures = event.allNames.filter((n) => counts.has(n)).map((domain) => ({ domain, consecutive_failures: counts.get(domain)! }));
      const worst = Math.max(...failures.map((f) => f.consecutive_failures));
      return {
        ...current,
        renewal_failures: failures,
        renewal_retry_at: new Date(now.getTime() + 1000 * retryDelaySeconds(worst)).toISOString(),
      };
    }
    case "limited": {
      if (!current) throw new Error("planRenewal: a limited renewal needs the schedule of the certificate in service");
      const retry = current.renewal_retry_at !== null && Date.parse(current.renewal_retry_at) > event.until.getTime() ? current.renewal_retry_at : event.until.toISOString();
      return { ...current, renewal_retry_at: retry };
    }
  }
}

/** When a renewal may start: the due time, or later after a failure. */
export function renewalStartsAt(schedule: RenewalSchedule): Date {
  const due = Date.parse(schedule.renewal_due_at);
  const retry = schedule.renewal_retry_at === null ? due : Date.parse(schedule.renewal_retry_at);
  return new Date(Math.max(due, retry));
}

/** When a sweep should look at the certificate next: a renewal starting, or renewal information to fetch. */
export function nextLookAt(schedule: RenewalSchedule): Date {
  const starts = renewalStartsAt(schedule).getTime();
  const check = schedule.renewal_info_check_at === null ? Infinity : Date.parse(schedule.renewal_info_check_at);
  return new Date(Math.min(starts, check));
}

/** The start of the hour after `now` (the hourly limit's window ends there). */
export function nextHour(now: Date): Date {
  const hour = new Date(now);
  hour.setUTCMinutes(0, 0, 0);
  return new Date(hour.getTime() + 3_600_000);
}
