export { DnsSolver, CHALLENGE_TTL_SECONDS, type Dns01SolverOptions } from "./solver.js";
export { propagationTimeoutMessage } from "./messages.js";
export { NameServers, MAX_CNAME_HOPS, parseNameServers, type NameServerOptions } from "./name-servers.js";
export { DnsQueryError, queryDns, type DnsRecord, type DnsResponse, type NameServer } from "./dns-query.js";
