import type acmeClient from "acme-client";
import { retryAfterSeconds } from "./renewal-info.js";

export type AcmeClientModule = typeof acmeClient;

let loading: Promise<AcmeClientModule> | undefined;

/**
 * acme-client, loaded on its first use rather than with issuance: with axios, node-forge and
 * @peculiar/x509 it is about 650 KB of the functions' bundles (~80 ms of a cold start), which a
 * `certificate.advance` that never reaches the CA (a duplicate delivery, an order another worker
 * holds, a finished one) does not need. `npm run bench:lambda` measures the worker's first message.
 *
 * acme-client retries 429 and 5xx answers by sleeping (5 s, 10 s, … five times): a worker must not
 * idle, so its retries are turned off here and the issuer retries the step from a delayed message.
 * A 429 (RFC 8555 §6.6, `rateLimited`) becomes a CaRateLimited with the CA's `Retry-After`, which
 * acme-client would drop (it passes on only the problem's detail), so that the issuer waits as long as asked.
 * A request that got no answer at all (the CA's name does not resolve, the connection is refused or
 * times out) becomes a CaUnreachable naming the URL and the cause: with its retries off, acme-client
 * 5.4.0 would replace it with its own `TypeError: Cannot read properties of undefined (reading
 * 'config')` (publishlab/node-acme-client#101), which is what a user then read on the certificate.
 */
export function loadAcmeClient(): Promise<AcmeClientModule> {
  loading ??= import("acme-client").then(({ default: acme }) => {
    (acme.axios.defaults as { acmeSettings?: { retryMaxAttempts: number } }).acmeSettings!.retryMaxAttempts = 0;
    // Ahead of acme-client's own handler, which passes on an error without `config` untouched.
    acme.axios.interceptors.response.handlers!.unshift({
      fulfilled: (response) => response,
      rejected: (error: NoAnswerError) => {
        throw error.response === undefined && error.config !== undefined ? unreachable(error) : error;
      },
      synchronous: false,
      runWhen: null,
    });
    // acme-client's own requests resolve whatever the status (`validateStatus: null`); others reject.
    acme.axios.interceptors.response.use(
      (response) => {
        if (response.status === 429) throw rateLimited(response);
        return response;
      },
      (error: { response?: AxiosLikeResponse }) => {
        throw error.response?.status === 429 ? rateLimited(error.response) : error;
      },
    );
    return acme;
  });
  return loading;
}

/** The CA answered 429 (RFC 8555 §6.6): its problem (`type: detail`) and `Retry-After` in seconds, when it sent one. */
export class CaRateLimited extends Error {
  constructor(
    problem: string,
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(problem);
    this.name = "CaRateLimited";
  }
}

/** The CA gave no answer: `message` names the request's URL and the network's reason (`connect ECONNREFUSED …`). */
export class CaUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CaUnreachable";
  }
}

type NoAnswerError = { response?: unknown; config?: { url?: string; method?: string }; code?: string; message?: string };

function unreachable(error: NoAnswerError): CaUnreachable {
  const reason = error.message || error.code || "no answer";
  return new CaUnreachable(`The CA did not answer ${(error.config?.method ?? "get").toUpperCase()} ${error.config?.url ?? ""}: ${reason}`);
}

type AxiosLikeResponse = { status: number; data?: unknown; headers: Record<string, unknown> };

function rateLimited(response: AxiosLikeResponse): CaRateLimited {
  const problem = (response.data ?? {}) as { type?: unknown; detail?: unknown };
  const header = response.headers["retry-after"];
  return new CaRateLimited(
    [problem.type, problem.detail].filter((part) => typeof part === "string").join(": ") || "HTTP 429",
    retryAfterSeconds(typeof header === "string" ? header : undefined),
  );
}
