/**
 * What the scheduled sweep runs on a deployed stage: the credential secrets a crash left behind
 * (docs/decisions/0007-secret-write-order.md), which `npm start` sweeps in-process
 * (`@charon/runtime/local`). Renewals (issue 10) will be found here too.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { createAwsServices } from "@charon/runtime/aws";

/** What one run did; also the function's result, visible in the scheduler's invocation log. */
export interface SweepSummary {
  /** Secrets under the stage's credential prefix that were looked at. */
  secretsExamined: number;
  /** Secrets deleted because no credential refers to them. */
  secretsDeleted: number;
}

export function createSweep(): () => Promise<SweepSummary> {
  const services = createAwsServices();
  const logger = new Logger({ serviceName: "charon-sweep" });
  return async () => {
    const report = await services.credentials.sweepOrphanSecrets();
    const summary = { secretsExamined: report.examined, secretsDeleted: report.deleted.length };
    // Names only: a secret's name says which credential it was for, never its value.
    logger.info("swept orphaned credential secrets", { ...summary, deleted: report.deleted });
    return summary;
  };
}
