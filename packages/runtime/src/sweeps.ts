/**
 * One scheduled run, the same on AWS (the sweep function, twice a day) and under `npm start` (a
 * timer): the renewal sweep, the expiry warnings (`certificate_expiring` webhooks, once per
 * certificate and expiry), then the secrets a crash left behind, the DNS credentials' and the
 * webhook subscriptions' (docs/decisions/0007-secret-write-order.md). Each part's failure is logged and reported, and
 * does not stop the other.
 */
import type { SweepResult } from "@charon/core";
import type { AppServices } from "./compose.js";
import type { Logger } from "./logger.js";

/** What one run did; also the sweep function's result, visible in the scheduler's invocation log. */
export interface ScheduledRunSummary {
  /** The renewal sweep (absent where issuance is not configured, or when it failed). */
  renewals?: SweepResult;
  /** Certificates looked at for `certificate_expiring`, and deliveries enqueued (each sent once per expiry). */
  expiring?: { certificates: number; enqueued: number };
  /** Secrets under the credential and webhook prefixes that were looked at. */
  secretsExamined: number;
  /** Secrets deleted because no credential or subscription refers to them. */
  secretsDeleted: number;
  /** Parts that failed (logged): `renewals`, `expiring`, `secrets`. */
  errors: string[];
}

export async function runScheduledSweeps(
  services: Pick<AppServices, "renewals" | "credentials" | "notifications">,
  logger: Logger,
): Promise<ScheduledRunSummary> {
  const summary: ScheduledRunSummary = { secretsExamined: 0, secretsDeleted: 0, errors: [] };
  if (services.renewals) {
    try {
      summary.renewals = await services.renewals.sweep();
    } catch (error) {
      summary.errors.push("renewals");
      logger.error("renewal sweep failed", { category: "certificate_renewal", error: String(error) });
    }
  }
  try {
    summary.expiring = await services.notifications.checkExpiring();
  } catch (error) {
    summary.errors.push("expiring");
    logger.error("expiry warnings failed", { category: "notifications", error: String(error) });
  }
  for (const owner of [services.credentials, services.notifications]) {
    try {
      const report = await owner.sweepOrphanSecrets();
      summary.secretsExamined += report.examined;
      summary.secretsDeleted += report.deleted.length;
      // Names only: a secret's name says what it was for, never its value.
      if (report.deleted.length > 0) logger.info("deleted orphaned secrets", { count: report.deleted.length, deleted: report.deleted });
    } catch (error) {
      if (!summary.errors.includes("secrets")) summary.errors.push("secrets");
      logger.warn("orphaned-secret sweep failed", { error: String(error) });
    }
  }
  return summary;
}
