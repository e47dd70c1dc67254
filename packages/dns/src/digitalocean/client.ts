import { HttpClient, isRecord, type Query } from "../http.js";
import type { ClientSettings } from "../options.js";
import {
  errorText,
  isDomain,
  isRecordItem,
  nextLink,
  type DigitalOceanDomain,
  type DigitalOceanRecord,
} from "./types.js";

export const DIGITALOCEAN_API_URL = "https://api.digitalocean.com/v2";

/** The API's largest page. */
const PER_PAGE = 200;

/** DigitalOcean API v2, the calls the adapter needs. */
export class DigitalOceanApi {
  private readonly http: HttpClient;

  constructor(token: string, baseUrl: string, settings: ClientSettings) {
    this.http = new HttpClient({
      provider: "digitalocean",
      label: "DigitalOcean",
      baseUrl,
      headers: { authorization: `Bearer ${token}` },
      secrets: [token],
      settings,
      errorText,
      // On 429 DigitalOcean says when its window resets (epoch seconds) rather than Retry-After.
      retryAfterMs: (response) => {
        const reset = Number(response.headers.get("ratelimit-reset"));
        return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - settings.now()) : undefined;
      },
    });
  }

  listDomains(): Promise<DigitalOceanDomain[]> {
    return this.paged("/domains", {}, "domains", isDomain);
  }

  /** TXT records named `fqdn` (the API's `name` filter takes the fully qualified name). */
  listTxtRecords(domain: string, fqdn: string): Promise<DigitalOceanRecord[]> {
    return this.paged(
      `/domains/${encodeURIComponent(domain)}/records`,
      { type: "TXT", name: fqdn },
      "domain_records",
      isRecordItem,
    );
  }

  async createTxtRecord(domain: string, relativeName: string, data: string, ttl: number): Promise<void> {
    const path = `/domains/${encodeURIComponent(domain)}/records`;
    const response = await this.http.request("POST", path, { body: { type: "TXT", name: relativeName, data, ttl } });
    if (!isRecord(response.body) || !isRecordItem(response.body["domain_record"])) {
      throw this.http.unexpected("POST", path, "no domain_record");
    }
  }

  /** Deletes the record; one that is gone already counts as deleted. */
  async deleteRecord(domain: string, id: number): Promise<void> {
    await this.http.request("DELETE", `/domains/${encodeURIComponent(domain)}/records/${id}`, { allow: [404] });
  }

  /** Every page, following `links.pages.next` (only ever to the API's own host). */
  private async paged<T>(
    path: string,
    query: Query,
    key: string,
    isItem: (value: unknown) => value is T,
  ): Promise<T[]> {
    const items: T[] = [];
    let target: URL | undefined = this.http.url(path, { ...query, per_page: PER_PAGE });
    for (let page = 1; target; page++) {
      const response = await this.http.request("GET", target);
      const body = response.body;
      if (!isRecord(body) || !Array.isArray(body[key])) throw this.http.unexpected("GET", path, `no ${key} list`);
      for (const item of body[key] as unknown[]) {
        if (!isItem(item)) throw this.http.unexpected("GET", path, `malformed entry in ${key}`);
        items.push(item);
      }
      const next = nextLink(body);
      if (!next) break;
      let url: URL;
      try {
        url = new URL(next, target);
      } catch {
        throw this.http.unexpected("GET", path, "unreadable links.pages.next");
      }
      if (!this.http.sameOrigin(url)) {
        throw this.http.unexpected("GET", path, `links.pages.next points to another host (${url.host})`);
      }
      if (page > 10_000) throw this.http.unexpected("GET", path, "pagination does not end");
      target = url;
    }
    return items;
  }
}
