import type { Page, PageRequest } from "../ports/page.js";
import { CERTIFICATE_STATUSES, scheduleOf, type Certificate, type CertificateStatus } from "./certificate.js";
import { lifetimeRenewalAt, renewalStartsAt, type RenewalDueSource } from "./renewal.js";

/** Certificates a page at a time, lowest id first (the certificate repository's listing). */
export interface CertificateListing {
  list(page: PageRequest): Promise<Page<Certificate>>;
}

/**
 * Certificates by expiry: each certificate with an `expires_on` is filed under it (the AWS
 * adapter: a `CERTIFICATE#<id>` / `EXPIRY` item in gsi2 `EXPIRY#<id mod 8>`), so the expiry
 * warnings read in proportion to the certificates expiring, not to all of them.
 */
export interface ExpiryIndex {
  /** Every certificate whose `expires_on` is before `before`, expired ones included, as stored now. */
  expiringBefore(before: Date): Promise<Certificate[]>;
  /** Files the certificate under `expiresOn` unless it is filed already (a later renewal's filing wins). */
  file(certificateId: number, expiresOn: string): Promise<void>;
}

/** Items per read of the listing: one DynamoDB Query each, at most 1 MB. */
const PAGE_SIZE = 500;
/** The most certificates an overview reads: 20 queries. */
export const MAX_CERTIFICATES_READ = 10_000;

/**
 * Every certificate up to `max` (MAX_CERTIFICATES_READ unless given), `PAGE_SIZE` per query. A
 * certificate item (without its material, which is an item of its own) is 1–3 KB, so 10 000
 * cost about 10 000 × 2 KB / 4 KB × 0.5 = 2 500 read units, eventually consistent.
 */
export async function* everyCertificate(
  listing: CertificateListing,
  max: number = MAX_CERTIFICATES_READ,
): AsyncGenerator<Certificate, { truncated: boolean }> {
  let cursor: string | undefined;
  let read = 0;
  do {
    const page = await listing.list({ limit: PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) });
    for (const certificate of page.items) {
      if (read === max) return { truncated: true };
      read++;
      yield certificate;
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  return { truncated: false };
}

/** How many of the soonest renewals and of the failing certificates an overview lists. */
export const NEXT_RENEWALS = 10;
export const FAILING_LISTED = 20;
export const EXPIRY_HORIZONS_DAYS = [7, 14, 30] as const;

/** `GET /api/v1/certificates/summary`: what a dashboard or a monitoring probe reads. */
export interface CertificateOverview {
  generated_at: string;
  /** Certificates read; at most MAX_CERTIFICATES_READ. */
  total: number;
  /** True when more certificates exist than were read (the counts cover the first MAX_CERTIFICATES_READ by id). */
  truncated: boolean;
  by_status: Record<CertificateStatus, number>;
  /** Active certificates by when their renewal starts, soonest first. */
  next_renewals: Array<{
    id: number;
    nice_name: string;
    domain_names: string[];
    /** When the renewal starts: the due time, or the retry time after a failure. */
    renewal_at: string;
    renewal_due_source: RenewalDueSource;
    expires_on: string;
  }>;
  /** `failed` certificates and active ones whose last renewal failed, most recently changed first. */
  failing: Array<{ id: number; nice_name: string; domain_names: string[]; status: CertificateStatus; error: string | null; since: string }>;
  failing_total: number;
  /** Active certificates expiring within 7, 14 and 30 days (each count includes the shorter ones and the expired). */
  expiring: { within_7_days: number; within_14_days: number; within_30_days: number };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The overview of every certificate read: counts by status, the next renewals (each
 * certificate's renewal schedule; dns-01.md §4's lifetime backstop for one stored without a
 * schedule), the failing ones and why, the counts expiring within 7/14/30 days. One pass,
 * bounded memory beyond the short lists.
 */
export async function certificateOverview(listing: CertificateListing, now: Date): Promise<CertificateOverview> {
  const byStatus = Object.fromEntries(CERTIFICATE_STATUSES.map((s) => [s, 0])) as Record<CertificateStatus, number>;
  const renewals: CertificateOverview["next_renewals"] = [];
  const failing: CertificateOverview["failing"] = [];
  const expiring = { within_7_days: 0, within_14_days: 0, within_30_days: 0 };
  let failingTotal = 0;
  let total = 0;
  const certificates = everyCertificate(listing);
  let next = await certificates.next();
  for (; !next.done; next = await certificates.next()) {
    const certificate = next.value;
    total++;
    byStatus[certificate.status]++;
    const error = certificate.error ?? null;
    if (certificate.status === "failed" || (certificate.status === "active" && error !== null)) {
      failingTotal++;
      failing.push({ id: certificate.id, nice_name: certificate.nice_name, domain_names: certificate.domain_names, status: certificate.status, error, since: certificate.modified_on });
      keepFirst(failing, FAILING_LISTED, (a, b) => b.since.localeCompare(a.since) || a.id - b.id);
    }
    if (certificate.status !== "active" || certificate.expires_on === null) continue;
    const expires = Date.parse(certificate.expires_on);
    for (const days of EXPIRY_HORIZONS_DAYS) {
      if (expires - now.getTime() < days * DAY_MS) expiring[`within_${days}_days`]++;
    }
    const schedule = scheduleOf(certificate);
    const issuedAt = new Date(certificate.issued_at ?? certificate.modified_on);
    renewals.push({
      id: certificate.id,
      nice_name: certificate.nice_name,
      domain_names: certificate.domain_names,
      renewal_at: (schedule ? renewalStartsAt(schedule) : lifetimeRenewalAt({ issuedAt, expiresAt: new Date(expires) })).toISOString(),
      renewal_due_source: schedule?.renewal_due_source ?? "lifetime",
      expires_on: certificate.expires_on,
    });
    keepFirst(renewals, NEXT_RENEWALS, (a, b) => a.renewal_at.localeCompare(b.renewal_at) || a.id - b.id);
  }
  return {
    generated_at: now.toISOString(),
    total,
    truncated: next.value.truncated,
    by_status: byStatus,
    next_renewals: renewals,
    failing,
    failing_total: failingTotal,
    expiring,
  };
}

/** Sorts `items` and drops what lies beyond the first `limit`. */
function keepFirst<T>(items: T[], limit: number, order: (a: T, b: T) => number): void {
  items.sort(order);
  items.length = Math.min(items.length, limit);
}
