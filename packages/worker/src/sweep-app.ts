/**
 * What the scheduled sweep runs on a deployed stage (`runScheduledSweeps`, as `npm start`'s
 * timer): the renewal sweep (issue 10) and the credential secrets a crash left behind.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { runScheduledSweeps, type ScheduledRunSummary } from "@charon/runtime";
import { createAwsServices } from "@charon/runtime/aws";

export type SweepSummary = ScheduledRunSummary;

export function createSweep(): () => Promise<SweepSummary> {
  const logger = new Logger({ serviceName: "charon-sweep" });
  const services = createAwsServices(process.env, logger, { sealsKeys: false });
  return () => runScheduledSweeps(services, logger);
}
