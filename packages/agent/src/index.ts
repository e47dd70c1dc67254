export type { Snapshot, SnapshotCertificate, SnapshotHost, SnapshotLocation } from "./snapshot.js";
export { chooseCertificate, type CertificateChoice } from "./certificates.js";
export { isolateFaults, type Trial } from "./isolate.js";
export { NginxDriver, type ApplyResult, type HostReport, type NginxDriverOptions } from "./drivers/nginx/driver.js";
export { RenderError, renderHost, renderMainConfig, type MainConfigOptions } from "./drivers/nginx/render.js";
export { agentKeyFromJwk, loadOrCreateAgentKey, type AgentKeyPair } from "./agent-key.js";
