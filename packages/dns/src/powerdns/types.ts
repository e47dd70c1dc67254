/**
 * PowerDNS Authoritative HTTP API wire types (https://doc.powerdns.com/authoritative/http-api/):
 * names are absolute with a trailing dot; errors are `{ "error": "…" }` (or plain text from the
 * web server, e.g. `Unauthorized`).
 */
import { isRecord } from "../http.js";

export interface PowerDnsZoneSummary {
  id: string;
  name: string;
  kind?: string;
}

export interface PowerDnsRecord {
  content: string;
  disabled: boolean;
}

export interface PowerDnsRRSet {
  name: string;
  type: string;
  ttl: number;
  records: PowerDnsRecord[];
}

export interface PowerDnsZone extends PowerDnsZoneSummary {
  rrsets: PowerDnsRRSet[];
}

/** One entry of `PATCH /zones/{id}`'s `rrsets`. */
export type PowerDnsRRSetChange =
  | { name: string; type: string; changetype: "DELETE" }
  | { name: string; type: string; ttl: number; changetype: "REPLACE"; records: PowerDnsRecord[] };

export function isZoneSummary(value: unknown): value is PowerDnsZoneSummary {
  return isRecord(value) && typeof value["id"] === "string" && typeof value["name"] === "string";
}

export function isRRSet(value: unknown): value is PowerDnsRRSet {
  return (
    isRecord(value) &&
    typeof value["name"] === "string" &&
    typeof value["type"] === "string" &&
    typeof value["ttl"] === "number" &&
    Array.isArray(value["records"]) &&
    value["records"].every((r) => isRecord(r) && typeof r["content"] === "string")
  );
}

export function errorText(body: unknown): string | undefined {
  return isRecord(body) && typeof body["error"] === "string" ? body["error"] : undefined;
}
