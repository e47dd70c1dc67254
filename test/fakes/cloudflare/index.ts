/**
 * A small stand-in for Cloudflare's API v4 (https://developers.cloudflare.com/api/), built from
 * its reference: the `{ success, errors, messages, result, result_info }` envelope, token and
 * global-key authentication with Cloudflare's error codes and wording, `/zones` pagination and the
 * DNS-record endpoints the adapter uses. Records live in memory. It refuses what Cloudflare
 * refuses: credentials not of a form Cloudflare issues, record types it does not serve, a TTL
 * out of range, an identical record twice.
 */
import { randomBytes } from "node:crypto";
import { STATUS_CODES } from "node:http";
import { Faults } from "../faults.js";
import { json, paging, parseJson, serveFake, type FakeRequest, type FakeResponse } from "../server.js";

export interface CloudflareFakeRecord {
  id: string;
  type: string;
  name: string;
  content: string;
  ttl: number;
  proxied: boolean;
  created_on: string;
  modified_on: string;
}

export interface CloudflareFakeZone {
  id: string;
  name: string;
  status: "active";
  records: Map<string, CloudflareFakeRecord>;
}

interface TokenGrant {
  status: "active" | "disabled" | "expired";
  /** Zone names the token may use; undefined = all. */
  zones: Set<string> | undefined;
  canEdit: boolean;
}

type Caller = { kind: "token"; grant: TokenGrant } | { kind: "key" };

/**
 * API token forms Cloudflare issues: the 40-character legacy token, and the scannable
 * `cfut_`/`cfat_` + 40 characters + 8-hex checksum form (the checksum is not checked here).
 * https://developers.cloudflare.com/fundamentals/api/get-started/token-formats/
 */
const TOKEN_FORM = /^(?:[A-Za-z0-9_-]{40}|cf(?:ut|at)_[A-Za-z0-9]{40}[0-9a-f]{8})$/;
/** Global API key forms: 37 hex digits (legacy), or the scannable `cfk_` form (same page). */
const GLOBAL_KEY_FORM = /^(?:[0-9a-f]{37}|cfk_[A-Za-z0-9]{40}[0-9a-f]{8})$/;

/**
 * The record types `POST /zones/{zone_id}/dns_records` takes
 * (https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/create/).
 */
export const CLOUDFLARE_RECORD_TYPES = new Set([
  "A", "AAAA", "CAA", "CERT", "CNAME", "DNSKEY", "DS", "HTTPS", "LOC", "MX", "NAPTR",
  "NS", "OPENPGPKEY", "PTR", "SMIMEA", "SRV", "SSHFP", "SVCB", "TLSA", "TXT", "URI",
]);

/**
 * Cloudflare's error codes and wording, as its API answers them (code, message and chain as
 * quoted in Cloudflare's API reference and in the public reports of real answers).
 */
export const CLOUDFLARE_ERRORS = {
  missingAuth: { code: 9106, message: "Missing X-Auth-Key, X-Auth-Email or Authorization headers" },
  badHeaders: (chain: { code: number; message: string }) => ({
    code: 6003,
    message: "Invalid request headers",
    error_chain: [chain],
  }),
  badAuthorization: { code: 6111, message: "Invalid format for Authorization header" },
  badKey: { code: 6103, message: "Invalid format for X-Auth-Key header" },
  badEmail: { code: 6102, message: "Invalid format for X-Auth-Email header" },
  invalidToken: { code: 9109, message: "Invalid access token" },
  invalidApiToken: { code: 1000, message: "Invalid API Token" },
  unknownKey: { code: 9103, message: "Unknown X-Auth-Key or X-Auth-Email" },
  authentication: { code: 10000, message: "Authentication error" },
  noRoute: { code: 7000, message: "No route for that URI" },
  badZone: { code: 7003, message: "Could not route to /zones, perhaps your object identifier is invalid?" },
  recordMissing: { code: 81044, message: "Record does not exist." },
  identical: { code: 81058, message: "An identical record already exists." },
  exists: { code: 81057, message: "Record already exists." },
  validation: { code: 1004, message: "DNS Validation Error" },
  ttl: { code: 9021, message: "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic." },
  rateLimited: { code: 971, message: "Please wait and consider throttling your request speed" },
};

function envelope(status: number, result: unknown, errors: unknown[] = [], resultInfo?: unknown): FakeResponse {
  return json(status, {
    success: errors.length === 0,
    errors,
    messages: [],
    result,
    ...(resultInfo === undefined ? {} : { result_info: resultInfo }),
  });
}

const ERR = CLOUDFLARE_ERRORS;

const failure = (status: number, ...errors: unknown[]) => envelope(status, null, errors);

/** The body Cloudflare answers with these errors (for tests that plan one with `failNext`). */
export function cloudflareErrorBody(...errors: unknown[]): string {
  return failure(400, ...errors).body ?? "";
}

export class CloudflareFakeState extends Faults {
  readonly zones = new Map<string, CloudflareFakeZone>();
  private readonly tokens = new Map<string, TokenGrant>();
  private readonly keys = new Map<string, string>();

  constructor() {
    // 429 comes from the API with its envelope; 5xx come from Cloudflare's edge as an HTML page.
    super((status) =>
      status >= 500
        ? {
            body: edgeErrorPage(status),
            contentType: "text/html",
          }
        : {
            body: JSON.stringify({
              success: false,
              errors: [status === 429 ? ERR.rateLimited : { code: status, message: STATUS_CODES[status] ?? "Error" }],
              messages: [],
              result: null,
            }),
            contentType: "application/json",
          },
    );
  }

  /**
   * A token Cloudflare would accept; `zones` limits it to those zone names. Only the forms
   * Cloudflare issues exist (`cloudflareToken()` makes one).
   */
  addToken(token: string, options: { status?: TokenGrant["status"]; zones?: string[]; canEdit?: boolean } = {}): void {
    if (!TOKEN_FORM.test(token)) throw new Error(`Cloudflare never issues an API token like '${token}' (see TOKEN_FORM)`);
    this.tokens.set(token, {
      status: options.status ?? "active",
      zones: options.zones ? new Set(options.zones) : undefined,
      canEdit: options.canEdit ?? true,
    });
  }

  /** A global API key and its account e-mail. */
  addGlobalKey(email: string, key: string): void {
    if (!GLOBAL_KEY_FORM.test(key)) throw new Error(`Cloudflare never issues a global API key like '${key}' (see GLOBAL_KEY_FORM)`);
    this.keys.set(email, key);
  }

  addZone(name: string): CloudflareFakeZone {
    const zone: CloudflareFakeZone = { id: randomBytes(16).toString("hex"), name, status: "active", records: new Map() };
    this.zones.set(zone.id, zone);
    return zone;
  }

  zoneNamed(name: string): CloudflareFakeZone | undefined {
    return [...this.zones.values()].find((z) => z.name === name);
  }

  /** TXT contents at `fqdn`, as stored (Cloudflare keeps the quotes it was given). */
  txtContents(zoneName: string, fqdn: string): string[] {
    const zone = this.zoneNamed(zoneName);
    return zone ? [...zone.records.values()].filter((r) => r.type === "TXT" && r.name === fqdn).map((r) => r.content) : [];
  }

  handle(request: FakeRequest): FakeResponse {
    const path = request.url.pathname.replace(/\/+$/, "");
    if (!path.startsWith("/client/v4/")) return failure(400, ERR.noRoute);
    const route = path.slice("/client/v4".length);

    if (route === "/user/tokens/verify" && request.method === "GET") return this.verifyToken(request);

    const caller = this.authenticate(request);
    if ("status" in caller) return caller;

    if (route === "/zones" && request.method === "GET") return this.listZones(request, caller);
    const records = /^\/zones\/([^/]+)\/dns_records(?:\/([^/]+))?$/.exec(route);
    if (!records) return failure(400, ERR.noRoute);
    const zone = this.zones.get(decodeURIComponent(records[1] ?? ""));
    if (!zone) return failure(400, ERR.badZone);
    if (!this.allowed(caller, zone)) return failure(403, ERR.authentication);
    const recordId = records[2] === undefined ? undefined : decodeURIComponent(records[2]);

    if (recordId === undefined && request.method === "GET") return this.listRecords(request, zone);
    if (caller.kind === "token" && !caller.grant.canEdit) return failure(403, ERR.authentication);
    if (recordId === undefined && request.method === "POST") return this.createRecord(request, zone);
    if (recordId !== undefined && request.method === "DELETE") {
      if (!zone.records.delete(recordId)) return failure(404, ERR.recordMissing);
      return envelope(200, { id: recordId });
    }
    return failure(400, ERR.noRoute);
  }

  private verifyToken(request: FakeRequest): FakeResponse {
    const token = bearer(request);
    if (token === undefined) return failure(400, ERR.badHeaders(ERR.badAuthorization));
    const grant = this.tokens.get(token);
    if (!grant) return failure(401, ERR.invalidApiToken);
    const id = Buffer.from(token).toString("hex").slice(0, 32);
    return envelope(200, { id, status: grant.status });
  }

  private authenticate(request: FakeRequest): Caller | FakeResponse {
    const header = request.headers["authorization"];
    if (header !== undefined) {
      const token = bearer(request);
      if (token === undefined) return failure(400, ERR.badHeaders(ERR.badAuthorization));
      const grant = this.tokens.get(token);
      if (!grant || grant.status !== "active") return failure(403, ERR.invalidToken);
      return { kind: "token", grant };
    }
    const key = request.headers["x-auth-key"];
    const email = request.headers["x-auth-email"];
    if (typeof key !== "string" || typeof email !== "string") return failure(400, ERR.missingAuth);
    if (!GLOBAL_KEY_FORM.test(key)) return failure(400, ERR.badHeaders(ERR.badKey));
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) return failure(400, ERR.badHeaders(ERR.badEmail));
    if (this.keys.get(email) !== key) return failure(403, ERR.unknownKey);
    return { kind: "key" };
  }

  private allowed(caller: Caller, zone: CloudflareFakeZone): boolean {
    return caller.kind === "key" || !caller.grant.zones || caller.grant.zones.has(zone.name);
  }

  private listZones(request: FakeRequest, caller: Caller): FakeResponse {
    const { page, perPage } = paging(request.url, { perPage: 20, min: 5, max: 50 });
    const name = request.url.searchParams.get("name");
    const zones = [...this.zones.values()]
      .filter((z) => this.allowed(caller, z) && (!name || z.name === name))
      .sort((a, b) => a.name.localeCompare(b.name));
    return this.page(zones.map(({ id, name: zoneName, status }) => ({ id, name: zoneName, status })), page, perPage);
  }

  private listRecords(request: FakeRequest, zone: CloudflareFakeZone): FakeResponse {
    const { page, perPage } = paging(request.url, { perPage: 100, min: 5, max: 5000 });
    const q = request.url.searchParams;
    const type = q.get("type");
    const name = q.get("name.exact") ?? q.get("name");
    const content = q.get("content.exact") ?? q.get("content");
    const records = [...zone.records.values()].filter(
      (r) => (!type || r.type === type) && (!name || r.name === name.toLowerCase()) && (!content || r.content === content),
    );
    return this.page(records, page, perPage);
  }

  private createRecord(request: FakeRequest, zone: CloudflareFakeZone): FakeResponse {
    const input = parseJson(request.body);
    if (typeof input !== "object" || input === null) return failure(400, ERR.validation);
    const { type, name, content, ttl } = input as Record<string, unknown>;
    if (typeof type !== "string" || !CLOUDFLARE_RECORD_TYPES.has(type)) return failure(400, ERR.validation);
    if (typeof name !== "string" || typeof content !== "string" || content === "") return failure(400, ERR.validation);
    const ttlValue = ttl === undefined ? 1 : ttl;
    if (typeof ttlValue !== "number" || (ttlValue !== 1 && (ttlValue < 60 || ttlValue > 86_400))) {
      return failure(400, ERR.ttl);
    }
    // Cloudflare completes names that do not end in the zone name (`_acme-challenge` → `_acme-challenge.<zone>`).
    const lower = name.toLowerCase().replace(/\.$/, "");
    const fqdn = lower === "@" ? zone.name : lower === zone.name || lower.endsWith(`.${zone.name}`) ? lower : `${lower}.${zone.name}`;
    const duplicate = [...zone.records.values()].some((r) => r.type === type && r.name === fqdn && r.content === content);
    if (duplicate) return failure(400, ERR.identical);
    const now = new Date().toISOString();
    const record: CloudflareFakeRecord = {
      id: randomBytes(16).toString("hex"),
      type,
      name: fqdn,
      content,
      ttl: ttlValue,
      proxied: false,
      created_on: now,
      modified_on: now,
    };
    zone.records.set(record.id, record);
    return envelope(200, record);
  }

  private page(items: unknown[], page: number, perPage: number): FakeResponse {
    const slice = items.slice((page - 1) * perPage, page * perPage);
    return envelope(200, slice, [], {
      page,
      per_page: perPage,
      count: slice.length,
      total_count: items.length,
      total_pages: Math.max(1, Math.ceil(items.length / perPage)),
    });
  }
}

/** The HTML page Cloudflare's edge serves for a 5xx. */
function edgeErrorPage(status: number): string {
  const title = `${status} ${STATUS_CODES[status] ?? "Error"}`;
  return `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center><hr><center>cloudflare</center></body></html>`;
}

/** The token of `Authorization: Bearer <token>`; undefined when the header or token is malformed. */
function bearer(request: FakeRequest): string | undefined {
  const token = /^Bearer (\S+)$/.exec(String(request.headers["authorization"] ?? ""))?.[1];
  return token !== undefined && TOKEN_FORM.test(token) ? token : undefined;
}

/** A fresh API token of Cloudflare's scannable form (`cfut_` + 40 characters + checksum). */
export function cloudflareToken(): string {
  return `cfut_${randomBytes(30).toString("base64").replace(/[^A-Za-z0-9]/g, "0").slice(0, 40)}${randomBytes(4).toString("hex")}`;
}

/** A fresh global API key of the legacy form (37 hex digits). */
export function cloudflareGlobalKey(): string {
  return randomBytes(19).toString("hex").slice(0, 37);
}

/** Starts the fake on a free loopback port; `url` is the API base (`…/client/v4`). */
export async function startFakeCloudflare(): Promise<{ url: string; stop: () => Promise<void>; state: CloudflareFakeState }> {
  const state = new CloudflareFakeState();
  const server = await serveFake(state, (request) => state.handle(request));
  return { url: `${server.origin}/client/v4`, stop: server.stop, state };
}
