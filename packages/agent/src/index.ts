export type { Snapshot, SnapshotCertificate, SnapshotHost, SnapshotLocation } from "./snapshot.js";
export { chooseCertificate, type CertificateChoice } from "./certificates.js";
export { isolateFaults, type Trial } from "./isolate.js";
export type { ApplyResult, HostReport, ProxyDriver } from "./drivers/driver.js";
export { NginxDriver, type NginxDriverOptions } from "./drivers/nginx/driver.js";
export { CaddyDriver, type CaddyDriverOptions } from "./drivers/caddy/driver.js";
export { CaddyRenderError, renderConfig as renderCaddyConfig, renderHost as renderCaddyHost, type HostFragment } from "./drivers/caddy/render.js";
export { RenderError, renderHost, renderMainConfig, type MainConfigOptions } from "./drivers/nginx/render.js";
export { agentKeyFromJwk, loadOrCreateAgentKey, type AgentKeyPair } from "./agent-key.js";
