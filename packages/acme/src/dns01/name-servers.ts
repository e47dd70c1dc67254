import { isIP } from "node:net";
import { ValidationError } from "@charon/core";
import { DnsQueryError, canonical, queryDns, type DnsResponse, type NameServer, type RecordType } from "./dns-query.js";

/** dns-01.md §1: at most this many CNAMEs are followed from `_acme-challenge.<name>`. */
export const MAX_CNAME_HOPS = 10;

export interface NameServerOptions {
  /**
   * Recursive resolvers for the look-ups (CNAME, SOA, NS, addresses): the system's
   * (`dns.getServers()`) unless the entry point says otherwise.
   */
  recursive: NameServer[];
  /** Per query attempt (ms). Kept short: the CNAME look-up also runs while an API request waits. */
  timeoutMs?: number;
  /** UDP attempts per query. */
  attempts?: number;
  /** The whole CNAME look-up (every hop) ends after this long (ms): an API request waits for it. */
  cnameDeadlineMs?: number;
  /** The port authoritative servers are asked on: 53, except where a test runs its own server. */
  authoritativePort?: number;
}

/**
 * Reads the DNS as dns-01.md §1 and §3 need it: follows `_acme-challenge` CNAMEs, finds a name's
 * zone (SOA walk) and that zone's authoritative servers (NS, then their addresses), and asks one
 * server for TXT values without recursion.
 */
export class NameServers {
  private readonly timeoutMs: number;
  private readonly attempts: number;

  constructor(private readonly options: NameServerOptions) {
    if (options.recursive.length === 0) throw new Error("NameServers needs at least one recursive resolver");
    this.timeoutMs = options.timeoutMs ?? 1_500;
    this.attempts = options.attempts ?? 2;
  }

  /**
   * The CNAME targets from `recordName` on, in order (empty without delegation). ValidationError
   * naming the chain on a loop or past `MAX_CNAME_HOPS`. A name without a CNAME (NXDOMAIN,
   * NODATA, a REFUSED from a server not serving it) ends the chain; a resolver that does not
   * answer, or a look-up past `cnameDeadlineMs` (default 5 s), is a DnsQueryError (502).
   */
  async cnameChain(recordName: string): Promise<string[]> {
    const chain: string[] = [];
    const seen = new Set([canonical(recordName)]);
    let current = canonical(recordName);
    const deadlineMs = this.options.cnameDeadlineMs ?? 5_000;
    const giveUpAt = Date.now() + deadlineMs;
    for (;;) {
      if (Date.now() > giveUpAt) {
        throw new DnsQueryError(this.options.recursive[0]!, `The CNAME look-up of ${recordName} took longer than ${deadlineMs} ms (at ${current})`);
      }
      const response = await this.recursive(current, "CNAME");
      const target = response.answers.find((r) => r.type === "CNAME" && r.name === current)?.data;
      if (target === undefined) return chain;
      if (seen.has(target)) {
        throw new ValidationError(`CNAME loop: ${[recordName, ...chain, target].join(" → ")}`, "CNAME loop");
      }
      if (chain.length === MAX_CNAME_HOPS) {
        throw new ValidationError(
          `More than ${MAX_CNAME_HOPS} CNAMEs from ${recordName}: ${[recordName, ...chain, target].join(" → ")}`,
          "CNAME chain too long",
        );
      }
      chain.push(target);
      seen.add(target);
      current = target;
    }
  }

  /**
   * The authoritative servers of the zone that holds `name`: the zone found by walking SOA up the
   * name, its NS records, each resolved to one address (IPv4 first).
   */
  async authoritative(name: string): Promise<NameServer[]> {
    const zone = await this.zoneOf(name);
    const ns = await this.recursive(zone, "NS");
    const hosts = [...new Set(ns.answers.filter((r) => r.type === "NS" && r.name === zone).map((r) => r.data))].sort();
    if (hosts.length === 0) throw new DnsQueryError(this.options.recursive[0]!, `No NS records for zone ${zone}`);
    const servers = await Promise.all(hosts.map((host) => this.address(host)));
    return servers.flatMap((server) => (server ? [server] : []));
  }

  /** The TXT values `server` itself holds at `name` (RD off: it must answer from its own data). */
  async txtValues(server: NameServer, name: string): Promise<{ values: string[]; error?: string }> {
    try {
      const response = await queryDns(server, name, "TXT", { recursion: false, timeoutMs: this.timeoutMs, attempts: this.attempts });
      const values = response.answers.filter((r) => r.type === "TXT" && r.name === canonical(name)).map((r) => r.data);
      if (response.rcode !== "NOERROR" && response.rcode !== "NXDOMAIN") return { values, error: response.rcode };
      return { values };
    } catch (error) {
      if (error instanceof DnsQueryError) return { values: [], error: error.message };
      throw error;
    }
  }

  /** dns-01.md §3: SOA at the name or above; a negative answer's authority SOA names the zone too. */
  private async zoneOf(name: string): Promise<string> {
    let candidate = canonical(name);
    for (;;) {
      const response = await this.recursive(candidate, "SOA");
      const soa =
        response.answers.find((r) => r.type === "SOA" && r.name === candidate) ??
        response.authorities.find((r) => r.type === "SOA" && (candidate === r.name || candidate.endsWith(`.${r.name}`)));
      if (soa) return soa.name;
      const dot = candidate.indexOf(".");
      if (dot < 0) throw new DnsQueryError(this.options.recursive[0]!, `No zone (SOA) found above ${name}`);
      candidate = candidate.slice(dot + 1);
    }
  }

  private async address(host: string): Promise<NameServer | undefined> {
    for (const type of ["A", "AAAA"] as const) {
      const response = await this.recursive(host, type);
      const address = response.answers.find((r) => r.type === type)?.data;
      if (address) return { host: address, port: this.options.authoritativePort ?? 53, label: host };
    }
    return undefined;
  }

  /** Asks the recursive resolvers in turn until one answers. */
  private async recursive(name: string, type: RecordType): Promise<DnsResponse> {
    let lastError: unknown;
    for (const server of this.options.recursive) {
      try {
        const response = await queryDns(server, name, type, { recursion: true, timeoutMs: this.timeoutMs, attempts: this.attempts });
        if (response.rcode === "SERVFAIL") {
          lastError = new DnsQueryError(server, `${server.label} answered SERVFAIL for ${name} ${type}`);
          continue;
        }
        return response;
      } catch (error) {
        if (!(error instanceof DnsQueryError)) throw error;
        lastError = error;
      }
    }
    throw lastError as DnsQueryError;
  }
}

/**
 * `CHARON_DNS_RESOLVERS` (`host:port,…`; `[v6]:port`; the port defaults to 53): the servers that
 * replace the authoritative ones (split horizon, tests). Hosts must be addresses. Throws a
 * ValidationError naming the bad entry.
 */
export function parseNameServers(text: string, variable = "CHARON_DNS_RESOLVERS"): NameServer[] {
  return text
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map((entry) => {
      const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(entry) ?? /^([0-9a-f:]+)$/i.exec(entry);
      const host = match?.[1] ?? match?.[2];
      const port = match?.[3] === undefined ? 53 : Number(match[3]);
      if (!host || isIP(host) === 0 || !Number.isInteger(port) || port < 1 || port > 65_535) {
        throw new ValidationError(`${variable}: '${entry}' is not an address with an optional port (192.0.2.1:53, [2001:db8::1]:53)`);
      }
      return { host, port, label: entry };
    });
}
