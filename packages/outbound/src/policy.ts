import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { OutboundRefusedError, type OutboundPolicy } from "@charon/core";
import ipaddr from "ipaddr.js";
import type { Agent, fetch as UndiciFetch } from "undici";

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** What an operator allows beyond public addresses (`CHARON_OUTBOUND_ALLOW`). */
export interface OutboundAllowance {
  /** 127.0.0.0/8 and ::1: the machine the server runs on. */
  loopback?: boolean;
  /** 10/8, 172.16/12, 192.168/16, 100.64/10 (carrier-grade NAT) and fc00::/7. */
  private?: boolean;
  /** Narrower ranges to allow (e.g. the one subnet the PowerDNS server is on). */
  ranges?: Array<[Address, number]>;
}

/** `dns.lookup`'s shape with `all: true`: every address of a name. */
export type ResolveAll = (hostname: string) => Promise<LookupAddress[]>;

/**
 * Addresses of cloud metadata and platform services that sit in ranges an operator may allow
 * (carrier-grade NAT, unique-local IPv6) or even in public space: refused whatever the
 * configuration. 169.254.0.0/16 (AWS, GCP, Azure IMDS, ECS task metadata) is link-local and
 * refused as a whole.
 */
const METADATA = new Set(
  [
    "fd00:ec2::254", // AWS IMDS over IPv6
    "fd00:ec2::23", // AWS ECS task metadata over IPv6
    "100.100.100.200", // Alibaba Cloud metadata
    "168.63.129.16", // Azure WireServer
  ].map((text) => ipaddr.parse(text).toString()),
);

/**
 * Whether `address` may be connected to, and if not, why ("a link-local address"). Public
 * unicast is allowed; loopback and private ranges only when the allowance says so; link-local,
 * metadata, unspecified, multicast, broadcast, reserved and tunnelling ranges never.
 * IPv4-mapped and NAT64 (64:ff9b::/96) IPv6 addresses are judged by the IPv4 address they carry.
 */
export function refusal(text: string, allow: OutboundAllowance): string | undefined {
  let address: Address;
  try {
    address = ipaddr.process(text);
  } catch {
    return "not an IP address";
  }
  if (address.kind() === "ipv6" && address.range() === "rfc6052") {
    const bytes = address.toByteArray().slice(12);
    address = ipaddr.fromByteArray(bytes);
  }
  const shown = address.toString();
  if (METADATA.has(shown)) return `${shown} is a cloud metadata address`;
  const range = address.range();
  const explicitly = allow.ranges?.some(([base, bits]) => base.kind() === address.kind() && address.match(base, bits)) ?? false;
  switch (range) {
    case "unicast":
      return undefined;
    case "loopback":
      return allow.loopback || explicitly ? undefined : `${shown} is a loopback address (allow it with CHARON_OUTBOUND_ALLOW=loopback)`;
    case "private":
    case "uniqueLocal":
    case "carrierGradeNat":
      return allow.private || explicitly ? undefined : `${shown} is a private address (allow it with CHARON_OUTBOUND_ALLOW=private)`;
    case "linkLocal":
      return `${shown} is a link-local address`;
    default:
      return `${shown} is a reserved address (${range})`;
  }
}

/**
 * Parses `CHARON_OUTBOUND_ALLOW`: comma-separated `loopback`, `private` and CIDR ranges
 * (`10.20.0.0/24`, `fd12::/64`). Unset or empty allows public addresses only. Throws naming
 * the entry it cannot read.
 */
export function parseOutboundAllow(value: string | undefined): OutboundAllowance {
  const allowance: OutboundAllowance = { ranges: [] };
  for (const entry of (value ?? "").split(",").map((part) => part.trim()).filter(Boolean)) {
    if (entry === "loopback") allowance.loopback = true;
    else if (entry === "private") allowance.private = true;
    else {
      try {
        allowance.ranges!.push(ipaddr.parseCIDR(entry));
      } catch {
        throw new Error(
          `CHARON_OUTBOUND_ALLOW lists 'loopback', 'private' or CIDR ranges separated by commas; '${entry}' is none of them`,
        );
      }
    }
  }
  return allowance;
}

const systemResolveAll: ResolveAll = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );

/**
 * The outbound policy over undici: a dedicated Agent whose connections resolve names through a
 * lookup that drops every address the policy refuses (and fails when none is left), so the
 * address checked is the address connected to; literal addresses are checked before the
 * request. Redirects are never followed. `resolveAll` is for tests (a name that resolves to a
 * metadata address, or differently each time).
 */
export function createOutboundPolicy(allow: OutboundAllowance = {}, resolveAll: ResolveAll = systemResolveAll): OutboundPolicy {
  const lookup = (
    hostname: string,
    options: LookupOptions,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    resolveAll(hostname).then(
      (addresses) => {
        const permitted = addresses.filter(
          (a) => refusal(a.address, allow) === undefined && (!options.family || a.family === options.family),
        );
        const first = permitted[0];
        if (first === undefined) {
          const why = addresses.length === 0 ? "it has no address" : refusal(addresses[0]!.address, allow);
          callback(new OutboundRefusedError(`${hostname}: ${why}; the server does not call it`), "");
        } else if (options.all) callback(null, permitted);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ""),
    );
  };
  // undici is loaded on the first request, not at start-up: most requests never call out, and
  // loading it would lengthen every cold start (`npm run bench:lambda`).
  let client: Promise<{ agent: Agent; fetch: typeof UndiciFetch }> | undefined;
  const undici = () =>
    (client ??= import("undici").then(({ Agent: UndiciAgent, fetch }) => ({
      agent: new UndiciAgent({ connect: { lookup: lookup as never } }),
      fetch,
    })));

  const check = (input: string | URL): URL => {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      throw new OutboundRefusedError("not a URL");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new OutboundRefusedError(`${url.protocol} URLs are not called; use http:// or https://`);
    }
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (ipaddr.isValid(host)) {
      const why = refusal(host, allow);
      if (why !== undefined) throw new OutboundRefusedError(`${why}; the server does not call it`);
    }
    return url;
  };

  return {
    check,
    async fetch(url, init = {}) {
      check(url);
      const { agent, fetch } = await undici();
      try {
        const response = await fetch(url, { ...(init as object), redirect: "manual", dispatcher: agent });
        return response as unknown as Response;
      } catch (error) {
        // undici reports a failed connection as TypeError("fetch failed") with the cause inside.
        const cause = error instanceof Error ? error.cause : undefined;
        if (cause instanceof OutboundRefusedError) throw cause;
        throw error;
      }
    },
  };
}
