/**
 * A small stand-in for DigitalOcean's API v2 domains endpoints
 * (https://docs.digitalocean.com/reference/api/), built from its reference: bearer-token
 * authentication with DigitalOcean's `{ id, message }` errors, `{ domains, links: { pages },
 * meta: { total } }` lists with `page`/`per_page`, and domain records whose names are relative to
 * the domain (the `name` filter takes the fully qualified name). Records live in memory. It
 * refuses what DigitalOcean refuses: tokens not of a form DigitalOcean issues, record types the
 * API does not create, a TTL under 30 s; domain names are looked up in any case, as DNS names are.
 */
import { randomBytes } from "node:crypto";
import { STATUS_CODES } from "node:http";
import { Faults } from "../faults.js";
import { json, paging, parseJson, serveFake, type FakeRequest, type FakeResponse } from "../server.js";

export interface DigitalOceanFakeRecord {
  id: number;
  type: string;
  name: string;
  data: string;
  priority: number | null;
  port: number | null;
  ttl: number;
  weight: number | null;
  flags: number | null;
  tag: string | null;
}

export interface DigitalOceanFakeDomain {
  name: string;
  ttl: number;
  records: Map<number, DigitalOceanFakeRecord>;
}

interface TokenGrant {
  write: boolean;
}

/**
 * Tokens DigitalOcean issues: `dop_v1_` (personal access) or `doo_v1_` (OAuth) and 64 hex
 * digits (https://docs.digitalocean.com/reference/api/ "DigitalOcean access tokens begin with an
 * identifiable prefix"); `dor_v1_` refresh tokens cannot call the API.
 */
const TOKEN_FORM = /^do[po]_v1_[0-9a-f]{64}$/;

/**
 * The record types `POST /v2/domains/{domain_name}/records` creates
 * (https://docs.digitalocean.com/products/networking/dns/reference/api/domain-records): SOA
 * exists, but "can only have ttl changed, cannot be deleted".
 */
export const DIGITALOCEAN_RECORD_TYPES = new Set(["A", "AAAA", "CAA", "CNAME", "MX", "NS", "SRV", "TXT"]);

/** DigitalOcean's `{ id, message }` errors, as its API reference gives them. */
export const DIGITALOCEAN_ERRORS = {
  unauthorized: { id: "Unauthorized", message: "Unable to authenticate you" },
  forbidden: { id: "Forbidden", message: "You are not authorized to perform this operation" },
  notFound: { id: "not_found", message: "The resource you were accessing could not be found." },
  rateLimited: { id: "too_many_requests", message: "API Rate limit exceeded." },
  serverError: { id: "server_error", message: "Unexpected server-side error" },
  unprocessable: (message: string) => ({ id: "unprocessable_entity", message }),
};

const ERR = DIGITALOCEAN_ERRORS;

export class DigitalOceanFakeState extends Faults {
  readonly domains = new Map<string, DigitalOceanFakeDomain>();
  /** Origin written into pagination links; the request's own origin when undefined. */
  linkOrigin: string | undefined;
  private readonly tokens = new Map<string, TokenGrant>();
  private nextId = 1000;

  constructor() {
    super((status) => ({
      body: JSON.stringify(
        status === 429
          ? ERR.rateLimited
          : status >= 500
            ? ERR.serverError
            : { id: (STATUS_CODES[status] ?? "error").toLowerCase().replace(/\W+/g, "_"), message: STATUS_CODES[status] ?? "Error" },
      ),
      contentType: "application/json",
    }));
  }

  /**
   * A personal access token; `write: false` makes it read-only. Only the forms DigitalOcean
   * issues exist (`digitalOceanToken()` makes one).
   */
  addToken(token: string, options: { write?: boolean } = {}): void {
    if (!TOKEN_FORM.test(token)) throw new Error(`DigitalOcean never issues a token like '${token}' (see TOKEN_FORM)`);
    this.tokens.set(token, { write: options.write ?? true });
  }

  addDomain(name: string): DigitalOceanFakeDomain {
    const domain: DigitalOceanFakeDomain = { name: name.toLowerCase(), ttl: 1800, records: new Map() };
    this.domains.set(domain.name, domain);
    return domain;
  }

  /** TXT data at the fully qualified `fqdn`. */
  txtData(domainName: string, fqdn: string): string[] {
    const domain = this.domains.get(domainName.toLowerCase());
    if (!domain) return [];
    return [...domain.records.values()].filter((r) => r.type === "TXT" && this.fqdn(domain, r.name) === fqdn).map((r) => r.data);
  }

  handle(request: FakeRequest): FakeResponse {
    const match = /^\/v2\/domains(?:\/([^/]+)(?:\/records(?:\/([^/]+))?)?)?\/?$/.exec(request.url.pathname);
    const token = /^Bearer (\S+)$/.exec(String(request.headers["authorization"] ?? ""))?.[1];
    const grant = token === undefined ? undefined : this.tokens.get(token);
    if (!grant) return json(401, ERR.unauthorized);
    if (!match) return json(404, ERR.notFound);
    if (request.method !== "GET" && !grant.write) return json(403, ERR.forbidden);

    const [, domainName, recordId] = match;
    if (domainName === undefined) {
      if (request.method !== "GET") return json(404, ERR.notFound);
      const domains = [...this.domains.values()]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((d) => ({ name: d.name, ttl: d.ttl, zone_file: this.zoneFile(d) }));
      return this.page(request, "domains", domains);
    }
    const domain = this.domains.get(decodeURIComponent(domainName).toLowerCase());
    if (!domain) return json(404, ERR.notFound);

    if (recordId === undefined && request.method === "GET") {
      const q = request.url.searchParams;
      const type = q.get("type");
      const name = q.get("name");
      const records = [...domain.records.values()].filter(
        (r) => (!type || r.type === type) && (!name || this.fqdn(domain, r.name) === name.toLowerCase()),
      );
      return this.page(request, "domain_records", records);
    }
    if (recordId === undefined && request.method === "POST") return this.createRecord(request, domain);
    if (recordId !== undefined && request.method === "DELETE") {
      if (!domain.records.delete(Number(recordId))) return json(404, ERR.notFound);
      return { status: 204 };
    }
    return json(404, ERR.notFound);
  }

  private createRecord(request: FakeRequest, domain: DigitalOceanFakeDomain): FakeResponse {
    const input = parseJson(request.body);
    if (typeof input !== "object" || input === null) return json(422, ERR.unprocessable("Invalid JSON body"));
    const { type, name, data, ttl } = input as Record<string, unknown>;
    if (typeof type !== "string" || !DIGITALOCEAN_RECORD_TYPES.has(type)) {
      return json(422, ERR.unprocessable("Record type is not valid"));
    }
    if (typeof name !== "string" || name === "") return json(422, ERR.unprocessable("Name can't be blank"));
    if (typeof data !== "string" || data === "") return json(422, ERR.unprocessable("Data can't be blank"));
    if (ttl !== undefined && (typeof ttl !== "number" || ttl < 30)) {
      return json(422, ERR.unprocessable("TTL must be at least 30 seconds"));
    }
    const record: DigitalOceanFakeRecord = {
      id: this.nextId++,
      type,
      name: name.toLowerCase(),
      data,
      priority: null,
      port: null,
      ttl: typeof ttl === "number" ? ttl : 1800,
      weight: null,
      flags: null,
      tag: null,
    };
    domain.records.set(record.id, record);
    return json(201, { domain_record: record });
  }

  /** One page of `items` under `key`, with DigitalOcean's links and meta. */
  private page(request: FakeRequest, key: string, items: unknown[]): FakeResponse {
    const { page, perPage } = paging(request.url, { perPage: 20, min: 1, max: 200 });
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (n: number) => {
      const url = new URL(request.url.pathname + request.url.search, this.linkOrigin ?? request.url.origin);
      url.searchParams.set("page", String(n));
      url.searchParams.set("per_page", String(perPage));
      return url.href;
    };
    const pages: Record<string, string> = {};
    if (page > 1) Object.assign(pages, { first: link(1), prev: link(page - 1) });
    if (page < last) Object.assign(pages, { next: link(page + 1), last: link(last) });
    return json(200, {
      [key]: items.slice((page - 1) * perPage, page * perPage),
      links: Object.keys(pages).length > 0 ? { pages } : {},
      meta: { total: items.length },
    });
  }

  /** Record names are relative; `@` is the domain itself. */
  private fqdn(domain: DigitalOceanFakeDomain, name: string): string {
    return name === "@" ? domain.name : `${name}.${domain.name}`;
  }

  private zoneFile(domain: DigitalOceanFakeDomain): string {
    return [
      `$ORIGIN ${domain.name}.`,
      `$TTL ${domain.ttl}`,
      `${domain.name}. IN SOA ns1.digitalocean.com. hostmaster.${domain.name}. 1 10800 3600 604800 1800`,
      "",
    ].join("\n");
  }
}

/** A fresh personal access token of DigitalOcean's form. */
export function digitalOceanToken(): string {
  return `dop_v1_${randomBytes(32).toString("hex")}`;
}

/** Starts the fake on a free loopback port; `url` is the API base (`…/v2`). */
export async function startFakeDigitalOcean(): Promise<{ url: string; stop: () => Promise<void>; state: DigitalOceanFakeState }> {
  const state = new DigitalOceanFakeState();
  const server = await serveFake(state, (request) => state.handle(request));
  return { url: `${server.origin}/v2`, stop: server.stop, state };
}
