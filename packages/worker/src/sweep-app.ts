/**
 * What the scheduled sweep runs on a deployed stage (`runScheduledSweeps`, as `npm start`'s
 * timer): the renewal sweep (issue 10) and the credential secrets a crash left behind. Each run
 * also publishes its renewal counts as CloudWatch metrics (Powertools' embedded metric format:
 * a log line CloudWatch turns into metrics, no API call).
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { runScheduledSweeps, type ScheduledRunSummary } from "@charon/runtime";
import { createAwsServices } from "@charon/runtime/aws";

export type SweepSummary = ScheduledRunSummary;

export function createSweep(): () => Promise<SweepSummary> {
  const logger = new Logger({ serviceName: "charon-sweep" });
  const metrics = new Metrics({ namespace: "Charon", serviceName: "charon-sweep" });
  const services = createAwsServices(process.env, logger, { sealsKeys: false });
  return async () => {
    const summary = await runScheduledSweeps(services, logger);
    if (summary.renewals) {
      // RenewalsChecked, RenewalsDue, RenewalsEnqueued, RenewalsFailed.
      for (const [name, value] of Object.entries(summary.renewals)) {
        metrics.addMetric(`Renewals${name[0]!.toUpperCase()}${name.slice(1)}`, MetricUnit.Count, value);
      }
    }
    metrics.addMetric("SweepErrors", MetricUnit.Count, summary.errors.length);
    metrics.publishStoredMetrics();
    return summary;
  };
}
