import type { Certificate } from "../certificates/certificate.js";
import { successRate, type CredentialStats } from "../credentials/credential.js";
import type { CredentialRepository } from "../credentials/repository.js";
import { LOW_SUCCESS_RATE, lowSuccessRateMessage } from "../credentials/statistics.js";
import type { ChallengeOutcome, ChallengeOutcomeRecorder } from "../dns-providers/directory.js";
import type { Clock } from "../ports/clock.js";
import type { NotificationPublisher } from "./service.js";
import type { NotificationEvent } from "./subscription.js";

/**
 * The end of a certificate order as an event: `certificate_failed` (with the error) or
 * `certificate_renewed` (with the new serial and expiry); a first issuance announces nothing.
 * One id per order, so an order resumed after a crash publishes the same event again.
 */
export function certificateOutcomeEvent(
  certificate: Pick<Certificate, "id" | "domain_names" | "serial" | "expires_on">,
  order: { id: string; attempt: number; renewal: boolean; failure?: string },
  at: Date,
): NotificationEvent | undefined {
  if (order.failure === undefined && !order.renewal) return undefined;
  const type = order.failure === undefined ? "certificate_renewed" : "certificate_failed";
  return {
    id: `${type}:${certificate.id}:${order.id}`,
    type,
    occurred_at: at.toISOString(),
    data: {
      certificate_id: certificate.id,
      domain_names: certificate.domain_names,
      attempt: order.attempt,
      renewal: order.renewal,
      ...(order.failure === undefined
        ? { serial: certificate.serial ?? null, expires_on: certificate.expires_on }
        : { error: order.failure }),
    },
  };
}

/**
 * Whether counting one more operation (`succeeded`) brought the success rate from at least
 * LOW_SUCCESS_RATE (or no operations at all) to below it: the documents' "Low Success Rate Alert"
 * fires on that crossing, not on every failure while the rate stays low.
 */
export function crossedBelow(after: CredentialStats, succeeded: boolean): boolean {
  const rateAfter = successRate(after);
  if (rateAfter === null || rateAfter >= LOW_SUCCESS_RATE || succeeded) return false;
  const before = successRate({ ...after, failureCount: after.failureCount - 1 });
  return before === null || before >= LOW_SUCCESS_RATE;
}

/**
 * The credential statistics' recorder with the `credential_success_rate_low` alert: after each
 * counted operation the credential is read again, and the crossing publishes one event (its id
 * names the counts, so a repeat of the same count is the same event).
 */
export class AlertingOutcomeRecorder implements ChallengeOutcomeRecorder {
  constructor(
    private readonly deps: {
      recorder: ChallengeOutcomeRecorder;
      credentials: Pick<CredentialRepository, "getCredential">;
      events: NotificationPublisher;
      clock: Clock;
    },
  ) {}

  async recordChallengeOutcome(outcome: ChallengeOutcome): Promise<void> {
    await this.deps.recorder.recordChallengeOutcome(outcome);
    if (outcome.succeeded || !outcome.credential) return;
    const credential = await this.deps.credentials.getCredential(outcome.provider.id, outcome.credential.id, true);
    if (!credential || !crossedBelow(credential.stats, false)) return;
    const rate = successRate(credential.stats);
    const { successCount, failureCount } = credential.stats;
    await this.deps.events.publish({
      id: `credential_success_rate_low:${credential.providerId}:${credential.id}:${successCount}:${failureCount}`,
      type: "credential_success_rate_low",
      occurred_at: this.deps.clock.now().toISOString(),
      data: {
        provider_id: credential.providerId,
        provider_type: outcome.provider.type,
        credential_id: credential.id,
        credential_name: credential.name,
        success_rate: rate,
        success_count: successCount,
        failure_count: failureCount,
        threshold: LOW_SUCCESS_RATE,
        message: lowSuccessRateMessage(credential.name, rate!),
        last_error: outcome.error ?? null,
      },
    });
  }
}
