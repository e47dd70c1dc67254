import type { Actor } from "../audit/entry.js";
import { RateLimitedError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import { scheduleOf, type Certificate } from "./certificate.js";
import { everyCertificate, type CertificateListing, type ExpiryIndex } from "./overview.js";
import type { CertificateService } from "./service.js";
import {
  FAILED_AUTHORIZATIONS_PER_HOUR,
  nextHour,
  planRenewal,
  renewalStartsAt,
  type RenewalInfo,
  type RenewalSchedule,
  type Validity,
} from "./renewal.js";

/**
 * The renewal index: each certificate in service is filed under the next time a sweep must look
 * at it (`nextLookAt`), so a sweep reads only those (never a scan).
 */
export interface RenewalIndex {
  /** The certificates filed at or before `now`, earliest first per shard. */
  due(now: Date): Promise<Certificate[]>;
  /**
   * Stores `schedule` on the certificate and files it again, if the certificate in service is
   * still the one with `serial` (a renewal stored meanwhile has its own schedule): false otherwise.
   */
  reschedule(certificateId: number, serial: string, schedule: RenewalSchedule): Promise<boolean>;
  /** Whether the certificates stored before renewal schedules existed were filed (`markBackfilled`). */
  backfilled(): Promise<boolean>;
  /** Records that they were: later sweeps no longer look for them. */
  markBackfilled(at: Date): Promise<void>;
}

/**
 * dns-01.md §4's hourly limit of failed authorizations per name, counted per clock hour as failed
 * orders: one the CA refused a validation of, or one whose DNS provider failed before the CA was
 * asked (its pending authorization is left behind at the CA all the same).
 */
export interface FailedAuthorizations {
  /** How many failures each of `names` had in the hour of `now` (absent: none). */
  count(names: string[], now: Date): Promise<Map<string, number>>;
  /** Counts one failure for each of `names` in the hour of `now`. */
  add(names: string[], now: Date): Promise<void>;
}

/** The CA's renewal information (RFC 9773) for a certificate id; undefined when it offers none. */
export interface RenewalInformationSource {
  fetch(certId: string): Promise<RenewalInfo | undefined>;
}

/** Opens a renewal order and enqueues it (false: an order is open already). */
export interface RenewalStarter {
  start(certificate: Certificate, requestedBy: Actor, renewal?: { replaces?: string }): Promise<boolean>;
}

/** What the renewals log through (Powertools' Logger fits). */
export interface RenewalLogger {
  info(message: string, ...extra: Array<Record<string, unknown>>): void;
  error(message: string, ...extra: Array<Record<string, unknown>>): void;
}

/** One sweep: entries read from the index, those whose renewal time had come, orders opened, errors. */
export interface SweepResult {
  checked: number;
  due: number;
  enqueued: number;
  failed: number;
}

/** Who the audit entries of scheduled renewals name. */
export const RENEWAL_ACTOR: Actor = { user: "renewal-sweep", ipAddress: null, via: "renewal" };

/** Certificates looked at side by side in one sweep (each may fetch renewal information). */
const SWEEP_CONCURRENCY = 8;

/**
 * Renewals that nobody has to watch (issue 10): the sweep (run by the scheduled function, a
 * timer under `npm start` and `POST /api/v1/renewals/run`) and "renew now".
 */
export class RenewalService {
  /** This process saw the backfill done (`backfill`): no more reads for it. */
  private backfillDone = false;

  constructor(
    private readonly deps: {
      index: RenewalIndex;
      failures: FailedAuthorizations;
      info: RenewalInformationSource;
      issuance: RenewalStarter;
      /** Reads certificates and records renewal requests (`renewal_requested_at`, audit). */
      certificates: Pick<CertificateService, "get" | "requestRenewal">;
      /** Every certificate, read once to file those stored before renewal schedules existed. */
      listing: CertificateListing;
      /** Where that pass files each certificate's expiry too (the expiry warnings read it). */
      expiries: Pick<ExpiryIndex, "file">;
      clock: Clock;
      logger: RenewalLogger;
      random?: () => number;
    },
  ) {}

  /**
   * Looks at every certificate the index files at or before now: fetches renewal information
   * when its check is due, and opens a renewal order (with `replaces`) for those whose time has
   * come, unless a name is at its hourly limit. Idempotent: a certificate with an open order
   * keeps that one. One certificate's error is counted and logged, not thrown.
   */
  async sweep(): Promise<SweepResult> {
    const now = this.deps.clock.now();
    await this.backfill(now);
    const certificates = await this.deps.index.due(now);
    const result: SweepResult = { checked: certificates.length, due: 0, enqueued: 0, failed: 0 };
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < certificates.length; i = next++) {
        const certificate = certificates[i]!;
        try {
          const outcome = await this.look(certificate, now);
          if (outcome.due) result.due++;
          if (outcome.enqueued) result.enqueued++;
        } catch (error) {
          result.failed++;
          this.deps.logger.error("renewal sweep: a certificate could not be handled", {
            category: "certificate_renewal",
            certificate_id: certificate.id,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(SWEEP_CONCURRENCY, certificates.length) }, worker));
    this.deps.logger.info("renewal sweep", { category: "certificate_renewal", ...result });
    return result;
  }

  /**
   * `POST …/renew`: an order now, skipping the backoff wait but not the hourly limit (429 with
   * `Retry-After`). The request is recorded (`renewal_requested_at`, an audit entry). A
   * certificate never issued gets its issuance tried again; an order already running is kept.
   */
  async renewNow(actor: Actor, id: number): Promise<Certificate> {
    const found = await this.deps.certificates.get(id);
    const now = this.deps.clock.now();
    const limited = await this.limited(found.domain_names, now);
    if (limited) {
      const seconds = Math.ceil((limited.until.getTime() - now.getTime()) / 1000);
      throw new RateLimitedError(
        seconds,
        `${limited.names.join(", ")} had ${FAILED_AUTHORIZATIONS_PER_HOUR} failed orders this hour (a validation the CA refused or a DNS provider error), ` +
          `the most allowed per name and hour; renew after ${limited.until.toISOString()}`,
      );
    }
    const certificate = await this.deps.certificates.requestRenewal(actor, id);
    const inService = certificate.ari_cert_id ? { replaces: certificate.ari_cert_id } : certificate.serial ? {} : undefined;
    const started = await this.deps.issuance.start(certificate, actor, inService);
    return started ? { ...certificate, step: "requested" } : certificate;
  }

  /**
   * Once per table: certificates in service stored before renewal schedules existed have none,
   * so the index never files them and no sweep would renew them. The first sweep reads every
   * certificate (all of them: `everyCertificate` says what 10 000 cost) and gives
   * each such one the schedule its issuance would have had (dns-01.md §4's lifetime, renewal
   * information at this sweep when it has an ARI id), files every expiry not filed yet (the
   * expiry index is as recent), then marks the job done; later sweeps cost one read for the
   * mark (none once this process saw it). Idempotent: filing a schedule is conditional on the
   * serial read, an expiry on none being filed, and a crash before the mark repeats the pass.
   */
  private async backfill(now: Date): Promise<void> {
    if (this.backfillDone || (await this.deps.index.backfilled())) {
      this.backfillDone = true;
      return;
    }
    let filed = 0;
    for await (const certificate of everyCertificate(this.deps.listing, Infinity)) {
      if (certificate.expires_on) await this.deps.expiries.file(certificate.id, certificate.expires_on);
      const validity = validityOf(certificate);
      if (certificate.status !== "active" || !certificate.serial || !validity || scheduleOf(certificate)) continue;
      const schedule = planRenewal(undefined, { kind: "issued", validity, renewalInfo: Boolean(certificate.ari_cert_id) }, now);
      if (await this.deps.index.reschedule(certificate.id, certificate.serial, schedule)) filed++;
    }
    await this.deps.index.markBackfilled(now);
    this.backfillDone = true;
    this.deps.logger.info("renewal schedules given to certificates stored without one", { category: "certificate_renewal", filed });
  }

  private async look(certificate: Certificate, now: Date): Promise<{ due: boolean; enqueued: boolean }> {
    const stored = scheduleOf(certificate);
    let schedule = stored;
    const validity = validityOf(certificate);
    if (!schedule || !validity || !certificate.serial) return { due: false, enqueued: false };
    const checkAt = schedule.renewal_info_check_at;
    if (checkAt !== null && Date.parse(checkAt) <= now.getTime() && certificate.ari_cert_id) {
      const info = await this.fetchInfo(certificate, certificate.ari_cert_id);
      schedule = planRenewal(schedule, { kind: "renewal_info", validity, info }, now, this.deps.random);
    }
    if (renewalStartsAt(schedule).getTime() > now.getTime()) {
      await this.deps.index.reschedule(certificate.id, certificate.serial, schedule);
      return { due: false, enqueued: false };
    }
    const limited = await this.limited(certificate.domain_names, now);
    if (limited) {
      await this.deps.index.reschedule(certificate.id, certificate.serial, planRenewal(schedule, { kind: "limited", until: limited.until }, now));
      return { due: true, enqueued: false };
    }
    if (schedule !== stored) await this.deps.index.reschedule(certificate.id, certificate.serial, schedule);
    const replaces = certificate.ari_cert_id ? { replaces: certificate.ari_cert_id } : {};
    const enqueued = await this.deps.issuance.start(certificate, RENEWAL_ACTOR, replaces);
    return { due: true, enqueued };
  }

  /** The CA's window; a failed fetch falls back to the lifetime (logged) and is tried again later. */
  private async fetchInfo(certificate: Certificate, certId: string): Promise<RenewalInfo | undefined> {
    try {
      return await this.deps.info.fetch(certId);
    } catch (error) {
      this.deps.logger.error("renewal information could not be fetched; the lifetime applies", {
        category: "certificate_renewal",
        certificate_id: certificate.id,
        error: error instanceof Error ? error.message : String(error),
      });
      return undefined;
    }
  }

  /** The names at their limit of failed orders this hour, and the hour's end; undefined when none is. */
  private async limited(names: string[], now: Date): Promise<{ names: string[]; until: Date } | undefined> {
    const counts = await this.deps.failures.count(names, now);
    const limited = names.filter((name) => (counts.get(name) ?? 0) >= FAILED_AUTHORIZATIONS_PER_HOUR);
    return limited.length > 0 ? { names: limited, until: nextHour(now) } : undefined;
  }
}

/** The lifetime of the certificate in service (issued_at to expires_on). */
export function validityOf(certificate: Certificate): Validity | undefined {
  if (!certificate.issued_at || !certificate.expires_on) return undefined;
  return { issuedAt: new Date(certificate.issued_at), expiresAt: new Date(certificate.expires_on) };
}
