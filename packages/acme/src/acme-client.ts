import type acmeClient from "acme-client";

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
 */
export function loadAcmeClient(): Promise<AcmeClientModule> {
  loading ??= import("acme-client").then(({ default: acme }) => {
    (acme.axios.defaults as { acmeSettings?: { retryMaxAttempts: number } }).acmeSettings!.retryMaxAttempts = 0;
    return acme;
  });
  return loading;
}
