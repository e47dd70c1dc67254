/**
 * DigitalOcean API v2 wire types (https://docs.digitalocean.com/reference/api/): lists carry
 * `links.pages.next` and `meta.total`; errors are `{ id, message, request_id? }`.
 */
import { isRecord } from "../http.js";

export interface DigitalOceanDomain {
  name: string;
  ttl?: number;
  zone_file?: string;
}

export interface DigitalOceanRecord {
  id: number;
  type: string;
  /** Relative to the domain: `_acme-challenge`, `@` for the apex. */
  name: string;
  data: string;
  ttl?: number;
}

export interface DigitalOceanLinks {
  pages?: { first?: string; prev?: string; next?: string; last?: string };
}

export interface DigitalOceanError {
  id: string;
  message: string;
  request_id?: string;
}

export function isDomain(value: unknown): value is DigitalOceanDomain {
  return isRecord(value) && typeof value["name"] === "string";
}

export function isRecordItem(value: unknown): value is DigitalOceanRecord {
  return (
    isRecord(value) &&
    typeof value["id"] === "number" &&
    typeof value["type"] === "string" &&
    typeof value["name"] === "string" &&
    typeof value["data"] === "string"
  );
}

/** The next page's URL, if the answer has one. */
export function nextLink(body: Record<string, unknown>): string | undefined {
  const links = body["links"];
  if (!isRecord(links) || !isRecord(links["pages"])) return undefined;
  const next = links["pages"]["next"];
  return typeof next === "string" && next !== "" ? next : undefined;
}

export function errorText(body: unknown): string | undefined {
  return isRecord(body) && typeof body["message"] === "string" ? body["message"] : undefined;
}
