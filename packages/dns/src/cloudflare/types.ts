/**
 * Cloudflare API v4 wire types (https://developers.cloudflare.com/api/): every answer is an
 * envelope `{ success, errors: [{ code, message }], messages, result, result_info }`.
 */
import { isRecord } from "../http.js";

export interface CloudflareMessage {
  code: number;
  message: string;
  error_chain?: CloudflareMessage[];
}

export interface CloudflareResultInfo {
  page: number;
  per_page: number;
  count: number;
  total_count: number;
  total_pages: number;
}

export interface CloudflareEnvelope {
  success: boolean;
  errors: CloudflareMessage[];
  messages: CloudflareMessage[];
  result: unknown;
  result_info?: CloudflareResultInfo;
}

export interface CloudflareZone {
  id: string;
  name: string;
  status?: string;
}

export interface CloudflareDnsRecord {
  id: string;
  type: string;
  name: string;
  content: string;
  ttl?: number;
}

/** `GET /user/tokens/verify` result. */
export interface CloudflareTokenStatus {
  id: string;
  status: "active" | "disabled" | "expired";
}

/** Error code Cloudflare answers when the same record exists already. */
export const IDENTICAL_RECORD_EXISTS = 81058;

/** Codes meaning "these credentials are not valid" (rather than "not allowed"). */
export const AUTH_ERROR_CODES = new Set([
  6003, // Invalid request headers (malformed token or key)
  6111, // Invalid format for Authorization header
  9103, // Unknown X-Auth-Key or X-Auth-Email
  9106, // Missing X-Auth-Key, X-Auth-Email or Authorization headers
  9109, // Invalid access token
  1000, // Invalid API Token (token verify)
]);

export function isEnvelope(value: unknown): value is CloudflareEnvelope {
  return isRecord(value) && typeof value["success"] === "boolean" && Array.isArray(value["errors"]);
}

export function isZone(value: unknown): value is CloudflareZone {
  return isRecord(value) && typeof value["id"] === "string" && typeof value["name"] === "string";
}

export function isDnsRecord(value: unknown): value is CloudflareDnsRecord {
  return (
    isRecord(value) &&
    typeof value["id"] === "string" &&
    typeof value["type"] === "string" &&
    typeof value["name"] === "string" &&
    typeof value["content"] === "string"
  );
}

export function isTokenStatus(value: unknown): value is CloudflareTokenStatus {
  return isRecord(value) && typeof value["status"] === "string";
}

/** "Invalid request headers: Invalid format for Authorization header" from an error body. */
export function errorText(body: unknown): string | undefined {
  if (!isEnvelope(body)) return undefined;
  const texts = body.errors
    .filter((e) => isRecord(e) && typeof e.message === "string")
    .map((e) => {
      const chain = (e.error_chain ?? []).filter((c) => isRecord(c) && typeof c.message === "string");
      return chain.length > 0 ? `${e.message}: ${chain.map((c) => c.message).join("; ")}` : e.message;
    });
  return texts.length > 0 ? texts.join("; ") : undefined;
}

export function errorCodes(body: unknown): number[] {
  if (!isEnvelope(body)) return [];
  return body.errors.flatMap((e) => (isRecord(e) ? [e.code, ...(e.error_chain ?? []).map((c) => c.code)] : []));
}
