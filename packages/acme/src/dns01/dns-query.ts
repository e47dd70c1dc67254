import { randomInt } from "node:crypto";
import { createSocket } from "node:dgram";
import { isIPv6 } from "node:net";
import { connect } from "node:net";
import * as dnsPacket from "dns-packet";
import { UpstreamError } from "@charon/core";

/** A DNS server to send queries to: an address (not a host name) and a port. */
export interface NameServer {
  host: string;
  port: number;
  /** How reports name it: the NS record's host name, or `host:port`. */
  label: string;
}

export type RecordType = "A" | "AAAA" | "CNAME" | "NS" | "SOA" | "TXT";

/** A server's answer, reduced to what the solver reads. Names are lower case without the root dot. */
export interface DnsResponse {
  /** `NOERROR`, `NXDOMAIN`, `SERVFAIL`, `REFUSED`, … */
  rcode: string;
  answers: DnsRecord[];
  authorities: DnsRecord[];
}

export interface DnsRecord {
  name: string;
  type: string;
  /** CNAME/NS targets and addresses as text; a TXT record's strings joined; a SOA's owner is `name`. */
  data: string;
}

/**
 * A query that got no usable answer (time-out, unreachable server, unreadable packet, SERVFAIL).
 * An `UpstreamError` (502): the DNS is outside our control, and the message names the server.
 */
export class DnsQueryError extends UpstreamError {
  constructor(
    readonly server: NameServer,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, {}, options);
  }
}

export interface QueryOptions {
  /** Set RD: ask a recursive resolver to resolve; off when asking an authoritative server. */
  recursion: boolean;
  /** Per attempt, in milliseconds. */
  timeoutMs: number;
  /** Attempts over UDP before giving up (a lost datagram is retried, not reported). */
  attempts: number;
}

// EDNS(0) lets a server answer in one datagram up to this size (the DNS flag day 2020 value);
// anything larger comes truncated, and is asked again over TCP.
const UDP_PAYLOAD_SIZE = 1232;

/**
 * One question to one server, straight over UDP (TCP when the answer is truncated), through
 * `dns-packet`: no system resolver and so no cache in between (Node's `dns` module goes through
 * c-ares, which keeps a query cache since 1.23, and always sets RD).
 */
export async function queryDns(server: NameServer, name: string, type: RecordType, options: QueryOptions): Promise<DnsResponse> {
  const query: dnsPacket.Packet = {
    type: "query",
    id: randomInt(0, 65_536),
    flags: options.recursion ? dnsPacket.RECURSION_DESIRED : 0,
    questions: [{ type, name, class: "IN" }],
    additionals: [
      { type: "OPT", name: ".", udpPayloadSize: UDP_PAYLOAD_SIZE, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] },
    ],
  };
  let lastError: unknown;
  for (let attempt = 0; attempt < Math.max(1, options.attempts); attempt++) {
    try {
      const packet = await overUdp(server, query, options.timeoutMs);
      const answer = packet.flag_tc ? await overTcp(server, query, options.timeoutMs) : packet;
      return reduce(answer);
    } catch (error) {
      lastError = error;
      if (!(error instanceof DnsQueryError)) throw error;
    }
  }
  throw lastError as DnsQueryError;
}

function overUdp(server: NameServer, query: dnsPacket.Packet, timeoutMs: number): Promise<dnsPacket.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIPv6(server.host) ? "udp6" : "udp4");
    const done = (error: Error | null, packet?: dnsPacket.DecodedPacket) => {
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve(packet!);
    };
    const timer = setTimeout(
      () => done(new DnsQueryError(server, `${server.label} did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on("error", (error) => done(new DnsQueryError(server, `${server.label}: ${error.message}`, { cause: error })));
    socket.on("message", (message) => {
      let packet: dnsPacket.DecodedPacket;
      try {
        packet = dnsPacket.decode(message);
      } catch {
        return; // Not a DNS answer: keep waiting for the real one until the time-out.
      }
      // An answer to another question (a late reply, a spoofing attempt) is not ours.
      if (packet.id !== query.id || !sameQuestion(packet, query)) return;
      done(null, packet);
    });
    socket.send(dnsPacket.encode(query), server.port, server.host, (error) => {
      if (error) done(new DnsQueryError(server, `${server.label}: ${error.message}`, { cause: error }));
    });
  });
}

function overTcp(server: NameServer, query: dnsPacket.Packet, timeoutMs: number): Promise<dnsPacket.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port });
    let received = Buffer.alloc(0);
    const done = (error: Error | null, packet?: dnsPacket.DecodedPacket) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(packet!);
    };
    const timer = setTimeout(
      () => done(new DnsQueryError(server, `${server.label} did not answer over TCP within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on("error", (error) => done(new DnsQueryError(server, `${server.label}: ${error.message}`, { cause: error })));
    socket.on("connect", () => socket.write(dnsPacket.streamEncode(query)));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
      try {
        done(null, dnsPacket.decode(received.subarray(2, 2 + received.readUInt16BE(0))));
      } catch (error) {
        done(new DnsQueryError(server, `${server.label} sent an unreadable answer`, { cause: error }));
      }
    });
    socket.on("end", () => done(new DnsQueryError(server, `${server.label} closed the connection before answering`)));
  });
}

function sameQuestion(packet: dnsPacket.DecodedPacket, query: dnsPacket.Packet): boolean {
  const [asked] = query.questions ?? [];
  const [answered] = packet.questions ?? [];
  return asked !== undefined && answered !== undefined && answered.type === asked.type && canonical(answered.name) === canonical(asked.name);
}

function reduce(packet: dnsPacket.DecodedPacket): DnsResponse {
  return {
    rcode: (packet as dnsPacket.DecodedPacket & { rcode?: string }).rcode ?? "NOERROR",
    answers: (packet.answers ?? []).flatMap(record),
    authorities: (packet.authorities ?? []).flatMap(record),
  };
}

function record(answer: dnsPacket.Answer): DnsRecord[] {
  const name = canonical(answer.name);
  switch (answer.type) {
    case "A":
    case "AAAA":
      return [{ name, type: answer.type, data: answer.data }];
    case "CNAME":
    case "NS":
      return [{ name, type: answer.type, data: canonical(answer.data) }];
    case "SOA":
      return [{ name, type: answer.type, data: canonical(answer.data.mname) }];
    case "TXT":
      return [{ name, type: answer.type, data: txtText(answer.data) }];
    default:
      return [];
  }
}

/** A TXT record's character-strings, joined (RFC 7208 §3.3: long values are split into 255-octet strings). */
function txtText(data: dnsPacket.TxtData): string {
  const parts = Array.isArray(data) ? data : [data];
  return parts.map((part) => (typeof part === "string" ? part : part.toString("utf8"))).join("");
}

/** Lower case, no trailing dot. */
export function canonical(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}
