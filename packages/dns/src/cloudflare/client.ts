import { HttpClient, type Query } from "../http.js";
import type { ClientSettings } from "../options.js";
import {
  AUTH_ERROR_CODES,
  IDENTICAL_RECORD_EXISTS,
  errorCodes,
  errorText,
  isDnsRecord,
  isEnvelope,
  isTokenStatus,
  isZone,
  type CloudflareDnsRecord,
  type CloudflareEnvelope,
  type CloudflareTokenStatus,
  type CloudflareZone,
} from "./types.js";

export const CLOUDFLARE_API_URL = "https://api.cloudflare.com/client/v4";

/** Zones per page: the API's maximum for `GET /zones`. */
const ZONES_PER_PAGE = 50;
const RECORDS_PER_PAGE = 100;

export type CloudflareAuth = { token: string } | { key: string; email: string };

/** Cloudflare API v4, the calls the adapter needs. */
export class CloudflareApi {
  private readonly http: HttpClient;

  constructor(auth: CloudflareAuth, baseUrl: string, settings: ClientSettings) {
    const headers: Record<string, string> =
      "token" in auth
        ? { authorization: `Bearer ${auth.token}` }
        : { "x-auth-key": auth.key, "x-auth-email": auth.email };
    this.http = new HttpClient({
      provider: "cloudflare",
      label: "Cloudflare",
      baseUrl,
      headers,
      secrets: "token" in auth ? [auth.token] : [auth.key],
      settings,
      errorText,
      reasonFor: (status, body) =>
        (status === 400 || status === 403) && errorCodes(body).some((code) => AUTH_ERROR_CODES.has(code))
          ? "auth"
          : undefined,
    });
  }

  async verifyToken(): Promise<CloudflareTokenStatus> {
    const result = await this.call("GET", "/user/tokens/verify");
    if (!isTokenStatus(result)) throw this.http.unexpected("GET", "/user/tokens/verify", "no token status");
    return result;
  }

  async listZones(): Promise<CloudflareZone[]> {
    return this.paged("/zones", {}, ZONES_PER_PAGE, isZone, "zone");
  }

  /** TXT records named exactly `fqdn`. */
  async listTxtRecords(zoneId: string, fqdn: string): Promise<CloudflareDnsRecord[]> {
    const path = `/zones/${encodeURIComponent(zoneId)}/dns_records`;
    return this.paged(path, { type: "TXT", name: fqdn }, RECORDS_PER_PAGE, isDnsRecord, "DNS record");
  }

  /** Creates the record; an identical record that exists already counts as created. */
  async createTxtRecord(zoneId: string, fqdn: string, content: string, ttl: number): Promise<void> {
    const path = `/zones/${encodeURIComponent(zoneId)}/dns_records`;
    const response = await this.http.request("POST", path, {
      body: { type: "TXT", name: fqdn, content, ttl },
      allow: [400],
    });
    if (response.status === 400) {
      const codes = errorCodes(response.body);
      if (codes.includes(IDENTICAL_RECORD_EXISTS)) return;
      const upstream = errorText(response.body) ?? "Bad Request";
      const reason = codes.some((code) => AUTH_ERROR_CODES.has(code)) ? "auth" : "rejected";
      throw this.http.failure(reason, `Cloudflare API returned 400: ${upstream}`, { status: 400, upstream });
    }
    this.unwrap("POST", path, response.body);
  }

  /** Deletes the record; one that is gone already counts as deleted. */
  async deleteRecord(zoneId: string, recordId: string): Promise<void> {
    const path = `/zones/${encodeURIComponent(zoneId)}/dns_records/${encodeURIComponent(recordId)}`;
    const response = await this.http.request("DELETE", path, { allow: [404] });
    if (response.status !== 404) this.unwrap("DELETE", path, response.body);
  }

  private async call(method: string, path: string, query: Query = {}): Promise<unknown> {
    const response = await this.http.request(method, path, { query });
    return this.unwrap(method, path, response.body);
  }

  private unwrap(method: string, path: string, body: unknown): unknown {
    if (!isEnvelope(body)) throw this.http.unexpected(method, path, "not a Cloudflare API envelope");
    if (!body.success) {
      const upstream = errorText(body) ?? "unsuccessful";
      throw this.http.failure("rejected", `Cloudflare API reported a failure: ${upstream}`, { upstream });
    }
    return body.result;
  }

  /** Every page of a list, following `result_info.total_pages`. */
  private async paged<T>(
    path: string,
    query: Query,
    perPage: number,
    isItem: (value: unknown) => value is T,
    what: string,
  ): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; ; page++) {
      const response = await this.http.request("GET", path, { query: { ...query, page, per_page: perPage } });
      const result = this.unwrap("GET", path, response.body);
      if (!Array.isArray(result)) throw this.http.unexpected("GET", path, "result is not a list");
      for (const item of result) {
        if (!isItem(item)) throw this.http.unexpected("GET", path, `malformed ${what}`);
        items.push(item);
      }
      const info = (response.body as CloudflareEnvelope).result_info;
      const totalPages = typeof info?.total_pages === "number" ? info.total_pages : page;
      if (page >= totalPages || result.length === 0) return items;
    }
  }
}
