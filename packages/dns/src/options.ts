import type { OutboundPolicy } from "@charon/core";
import { createOutboundPolicy } from "@charon/outbound";
import { setTimeout as delay } from "node:timers/promises";

/**
 * How a client talks to its provider. Everything has a default; entry points pass base URLs they
 * read from their own configuration (`CHARON_CLOUDFLARE_API_URL`, …) — providers never read the
 * environment.
 */
export interface DnsClientOptions {
  /** Base URLs, for tests and API-compatible services. PowerDNS's comes from its `api_url`
   * credential. Route 53 falls back to the SDK's own resolution (`AWS_ENDPOINT_URL_ROUTE_53`). */
  endpoints?: {
    cloudflare?: string;
    digitalocean?: string;
    route53?: string;
  };
  /** Per request, default 15 000. */
  timeoutMs?: number;
  /** Retries after the first attempt on 429, 5xx, time-outs and network errors; default 3. */
  retries?: number;
  /** First back-off delay, doubled each retry with jitter; default 500. */
  minRetryDelayMs?: number;
  /** Longest back-off delay; default 8 000. */
  maxRetryDelayMs?: number;
  /** A 429 asking to wait longer than this fails at once instead; default 30 000. */
  maxRetryAfterMs?: number;
  /** The fetch implementation (Cloudflare, DigitalOcean); default global fetch. */
  fetch?: typeof fetch;
  /**
   * Where URLs that users supply (PowerDNS's `api_url`) may lead; default: public addresses only.
   * Entry points build it from CHARON_OUTBOUND_ALLOW.
   */
  outbound?: OutboundPolicy;
  /** How the client waits out a provider's `Retry-After` (ms); default a timer. Tests record it. */
  sleep?: (ms: number) => Promise<void>;
  /** The current time in epoch ms, for rate-limit resets given as a time; default `Date.now`. */
  now?: () => number;
}

export interface ClientSettings {
  timeoutMs: number;
  retries: number;
  minRetryDelayMs: number;
  maxRetryDelayMs: number;
  maxRetryAfterMs: number;
  fetch: typeof fetch;
  outbound: OutboundPolicy;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

export function resolveSettings(options: DnsClientOptions = {}): ClientSettings {
  return {
    timeoutMs: options.timeoutMs ?? 15_000,
    retries: Math.max(0, options.retries ?? 3),
    minRetryDelayMs: options.minRetryDelayMs ?? 500,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 8_000,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 30_000,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    outbound: options.outbound ?? (publicOnly ??= createOutboundPolicy()),
    sleep: options.sleep ?? ((ms) => delay(ms)),
    now: options.now ?? Date.now,
  };
}

/** The default policy, built once: one connection pool for every client that uses it. */
let publicOnly: OutboundPolicy | undefined;

/** `0.2 s`, `15 s`: how messages state a duration. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
