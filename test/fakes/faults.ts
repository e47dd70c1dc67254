/**
 * Failures a fake (or the fault proxy) can be told to produce on its next requests, so retries,
 * time-outs and unreadable answers are tested over real HTTP. Also records what was asked
 * (method, path, query — never headers, which carry credentials).
 */
export interface InjectedResponse {
  status: number;
  body: string;
  headers: Record<string, string>;
}

export type Plan =
  | { kind: "respond"; response: InjectedResponse }
  /** Never answer: the request is held until the fake stops (a provider that hangs). */
  | { kind: "hang" };

export interface SeenRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

/** Only requests this selects are affected (e.g. `(r) => r.path.endsWith("/zones")`). */
export type RequestFilter = (request: SeenRequest) => boolean;

interface Queued {
  plan: Plan;
  remaining: number;
  filter: RequestFilter | undefined;
}

export interface FailOptions {
  /** Sent as `Retry-After` (seconds). */
  retryAfterSeconds?: number;
  /** Replaces the provider's usual error body for this status. */
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  filter?: RequestFilter;
}

export class Faults {
  readonly requests: SeenRequest[] = [];
  private readonly queue: Queued[] = [];

  /** `errorBody(status)` is the provider's own error answer for a status (its format and wording). */
  constructor(private readonly errorBody: (status: number) => { body: string; contentType: string }) {}

  /** The next `times` requests (selected by `filter`) are answered with `status`. */
  failNext(status: number, times = 1, options: FailOptions = {}): void {
    const standard = this.errorBody(status);
    this.queue.push({
      plan: {
        kind: "respond",
        response: {
          status,
          body: options.body ?? standard.body,
          headers: {
            "content-type": options.contentType ?? standard.contentType,
            ...(options.retryAfterSeconds === undefined ? {} : { "retry-after": String(options.retryAfterSeconds) }),
            ...options.headers,
          },
        },
      },
      remaining: times,
      filter: options.filter,
    });
  }

  /**
   * The next `times` requests are never answered, so a client's time-out always fires first:
   * no race between a delay and a time-out.
   */
  hangNext(times = 1, filter?: RequestFilter): void {
    this.queue.push({ plan: { kind: "hang" }, remaining: times, filter });
  }

  /** The next `times` requests get a body that is not what the API sends (HTML, not JSON). */
  garbageNext(times = 1, options: { status?: number; filter?: RequestFilter } = {}): void {
    this.queue.push({
      plan: {
        kind: "respond",
        response: {
          status: options.status ?? 200,
          body: "<html><body>Something went wrong {{oops</body></html>",
          headers: { "content-type": "text/html" },
        },
      },
      remaining: times,
      filter: options.filter,
    });
  }

  /** Forgets planned failures and seen requests. */
  reset(): void {
    this.clearPlans();
    this.requests.length = 0;
  }

  /** Forgets planned failures not used up yet. */
  clearPlans(): void {
    this.queue.length = 0;
  }

  /** Counts seen requests a filter selects. */
  count(filter: RequestFilter = () => true): number {
    return this.requests.filter(filter).length;
  }

  /** Records the request and returns what to do with it, if something was planned. */
  take(method: string, url: URL): Plan | undefined {
    const request: SeenRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
    };
    this.requests.push(request);
    const index = this.queue.findIndex((q) => !q.filter || q.filter(request));
    const queued = this.queue[index];
    if (!queued) return undefined;
    queued.remaining -= 1;
    if (queued.remaining <= 0) this.queue.splice(index, 1);
    return queued.plan;
  }
}

/** The requests of `hang` plans, released all at once when a fake stops. */
export class HeldRequests {
  readonly #held = new Set<() => void>();

  /** Resolves only when `releaseAll` runs. */
  hold(): Promise<void> {
    return new Promise((resolve) => this.#held.add(resolve));
  }

  releaseAll(): void {
    for (const release of this.#held) release();
    this.#held.clear();
  }
}
