export { createServices, type Adapters, type AppServices } from "./compose.js";
export { readLocalConfig, readAwsConfig, dnsEndpointsFrom, outboundPolicyFrom, authFailureLimitsFrom, sessionLifetimeSecondsFrom, type LocalConfig, type AwsConfig } from "./config.js";
export type { Logger } from "./logger.js";
export { createWorkHandler } from "./work.js";
export type { IssuanceAdapters } from "./issuance.js";
export { runScheduledSweeps, type ScheduledRunSummary } from "./sweeps.js";
