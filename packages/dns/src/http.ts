import { STATUS_CODES } from "node:http";
import { OutboundRefusedError, redactSecrets, type DnsProviderTypeName } from "@charon/core";
import { DnsProviderError, reasonForStatus, type DnsProviderFailure } from "./errors.js";
import { seconds, type ClientSettings } from "./options.js";
import { RetryableFailure, parseRetryAfter, withRetries } from "./retry.js";

export type Query = Record<string, string | number | undefined>;

/** What a provider's HTTP client is built from. */
export interface HttpClientConfig {
  provider: DnsProviderTypeName;
  /** How messages name the provider: "Cloudflare". */
  label: string;
  /** Base URL without a trailing slash; request paths are appended to it. */
  baseUrl: string;
  /** Authentication headers. */
  headers: Record<string, string>;
  /** Credential values that must never appear in a message. */
  secrets: readonly string[];
  settings: ClientSettings;
  /** The provider's own error text in a parsed error body. */
  errorText(body: unknown): string | undefined;
  /** A wait the provider asks for on 429 beyond `Retry-After` (DigitalOcean's `ratelimit-reset`). */
  retryAfterMs?(response: Response): number | undefined;
  /** Overrides the failure reason of an error answer (Cloudflare reports bad tokens with a 400). */
  reasonFor?(status: number, body: unknown): DnsProviderFailure | undefined;
}

export interface HttpResponse {
  status: number;
  /** Parsed JSON, or undefined for an empty body. */
  body: unknown;
  headers: Headers;
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Error statuses the caller handles itself (e.g. 404 on delete); the response is returned. */
  allow?: number[];
}

/**
 * JSON over HTTP for one provider and credential: per-request time-out, bounded retries on 429,
 * 5xx, time-outs and network errors, and every failure turned into a DnsProviderError whose
 * message a person can act on and which never contains a credential.
 */
export class HttpClient {
  private readonly base: URL;
  private readonly baseHref: string;

  constructor(private readonly config: HttpClientConfig) {
    this.base = new URL(config.baseUrl);
    this.baseHref = this.base.href.replace(/\/+$/, "");
  }

  get label(): string {
    return this.config.label;
  }

  /** `path` below the base URL, with query parameters (undefined ones left out). */
  url(path: string, query: Query = {}): URL {
    const url = new URL(this.baseHref + path);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  /**
   * True when `url` is on the same origin as the base URL: credentials are only ever sent there
   * (a pagination link pointing elsewhere is refused).
   */
  sameOrigin(url: URL): boolean {
    return url.origin === this.base.origin;
  }

  async request(method: string, target: string | URL, options: RequestOptions = {}): Promise<HttpResponse> {
    const url = typeof target === "string" ? this.url(target, options.query) : target;
    if (!this.sameOrigin(url)) {
      throw this.failure("bad_response", `${this.label} API pointed to another host (${url.host}); not following it`);
    }
    return withRetries(this.config.settings, () => this.attempt(method, url, options));
  }

  /** A DnsProviderError for a body that is not what the API documents. */
  unexpected(method: string, url: URL | string, detail: string): DnsProviderError {
    return this.failure(
      "bad_response",
      `${this.label} API returned an unexpected response to ${method} ${this.pathOf(url)}: ${detail}`,
    );
  }

  failure(
    reason: DnsProviderFailure,
    message: string,
    extra: { status?: number; upstream?: string } = {},
  ): DnsProviderError {
    return new DnsProviderError({
      provider: this.config.provider,
      reason,
      message: redactSecrets(message, this.config.secrets),
      upstreamStatus: extra.status,
      upstreamMessage: extra.upstream === undefined ? undefined : redactSecrets(extra.upstream, this.config.secrets),
    });
  }

  private async attempt(method: string, url: URL, options: RequestOptions): Promise<HttpResponse> {
    const { settings, headers } = this.config;
    const where = `${method} ${this.pathOf(url)}`;
    let response: Response;
    let text: string;
    try {
      response = await settings.fetch(url, {
        method,
        headers: {
          accept: "application/json",
          ...(options.body === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(settings.timeoutMs),
        // Custom authentication headers would follow a redirect to any host: never follow.
        redirect: "manual",
      });
      text = await response.text();
    } catch (error) {
      if (error instanceof OutboundRefusedError) {
        throw this.failure("refused", `${this.label} API at ${url.host} is not called: ${error.message}`);
      }
      if (isTimeout(error)) {
        throw retryUnlessApplied(
          method,
          this.failure("timeout", `${this.label} API did not answer within ${seconds(settings.timeoutMs)} (${where})`),
        );
      }
      const reason = networkReason(error);
      const failure = this.failure("network", `${this.label} API could not be reached at ${url.host}: ${reason}`);
      throw NOT_SENT.has(reason) ? new RetryableFailure(failure) : retryUnlessApplied(method, failure);
    }

    const { status } = response;
    const body = parseJson(text);
    if ((status >= 200 && status < 300) || options.allow?.includes(status)) {
      if (body === unreadable) {
        throw this.failure(
          "bad_response",
          `${this.label} API returned an unreadable response to ${where} (HTTP ${status}, not JSON)`,
          { status },
        );
      }
      return { status, body, headers: response.headers };
    }
    if (status >= 300 && status < 400) {
      const location = response.headers.get("location");
      throw this.failure(
        "rejected",
        `${this.label} API answered ${status} with a redirect` +
          `${location ? ` to ${stripUserInfo(location)}` : ""}; configure the final URL instead`,
        { status },
      );
    }

    // Only the provider's own error field, or a short plain-text body: whatever else answered
    // (another service at that address) is never echoed, only its status.
    const parsed = body === unreadable ? undefined : body;
    const upstream =
      providerMessage(this.config.errorText(parsed)) ??
      (body === unreadable ? plainText(text) : undefined) ??
      STATUS_CODES[status] ??
      "error";
    const reason = this.config.reasonFor?.(status, parsed) ?? reasonForStatus(status);
    const error = this.failure(reason, `${this.label} API returned ${status}: ${upstream}`, { status, upstream });
    if (status === 429 || status === 503) {
      const wait =
        parseRetryAfter(response.headers.get("retry-after"), this.config.settings.now()) ??
        this.config.retryAfterMs?.(response);
      throw new RetryableFailure(error, wait);
    }
    if (status >= 500) throw retryUnlessApplied(method, error);
    throw error;
  }

  /** The path as the API's documentation writes it: below the base URL (`/zones`). */
  private pathOf(url: URL | string): string {
    if (typeof url === "string") return url;
    const basePath = this.base.pathname.replace(/\/+$/, "");
    return basePath && url.pathname.startsWith(`${basePath}/`) ? url.pathname.slice(basePath.length) : url.pathname;
  }
}

const unreadable = Symbol("unreadable");

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return unreadable;
  }
}

/** A short plain-text error body (PowerDNS answers `Unauthorized`); not HTML, not long. */
function plainText(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed.length > MAX_PROVIDER_MESSAGE || trimmed.startsWith("<") || !/^[\x20-\x7e]+$/.test(trimmed)) {
    return undefined;
  }
  return trimmed;
}

/** Longest provider message passed on; longer ones are cut (with …). */
const MAX_PROVIDER_MESSAGE = 200;

/** The provider's error text on one line, without control characters, at most MAX_PROVIDER_MESSAGE long. */
function providerMessage(text: string | undefined): string | undefined {
  const line = text?.replace(/[\p{Cc}\p{Cf}\s]+/gu, " ").trim();
  if (!line) return undefined;
  return line.length > MAX_PROVIDER_MESSAGE ? `${line.slice(0, MAX_PROVIDER_MESSAGE - 1)}…` : line;
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
}

// Failures after which the provider never saw the request: a retry cannot repeat anything.
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/**
 * A time-out, a dropped connection or a 500/502/504 may come after the provider applied the
 * request. Sending a POST (a record creation) again could then create the record twice —
 * DigitalOcean keeps identical TXT records side by side — so it is not retried; every other
 * method these clients use replaces or deletes, and is safe to repeat.
 */
function retryUnlessApplied(method: string, failure: DnsProviderError): Error {
  return method === "POST" ? failure : new RetryableFailure(failure);
}

/** `ECONNREFUSED`, `ENOTFOUND`, … or the error's message. */
function networkReason(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === "string") return cause.code;
  if (cause && typeof cause.message === "string") return cause.message;
  return error instanceof Error ? error.message : String(error);
}

function stripUserInfo(location: string): string {
  try {
    const url = new URL(location);
    url.username = "";
    url.password = "";
    return url.href;
  } catch {
    return "another address";
  }
}

/** True for a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
