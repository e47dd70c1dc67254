import { access, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "@charon/local";
import { npmStart } from "../support/npm-start.js";

/**
 * The README's Configuration table: a value `npm start` cannot use stops it at once with a
 * message naming the variable, before anything is started or written.
 */
describe("npm start refuses configuration it cannot use", () => {
  it.each([
    [{ CHARON_BOOTSTRAP_TOKEN: "too-short" }, "CHARON_BOOTSTRAP_TOKEN must be at least 16 characters long"],
    [
      { CHARON_TRUSTED_PROXIES: "10.0.0.1, proxy.internal" },
      "CHARON_TRUSTED_PROXIES must list IP addresses separated by commas; 'proxy.internal' is not one",
    ],
    [{ CHARON_TRUSTED_PROXIES: "10.0.0.0/8" }, "CHARON_TRUSTED_PROXIES must list IP addresses separated by commas; '10.0.0.0/8' is not one"],
    [{ CHARON_DNS_PROVIDER_CONCURRENCY: "0" }, "CHARON_DNS_PROVIDER_CONCURRENCY must be a positive whole number (orders per DNS provider at once), got '0'"],
    [{ CHARON_ACME_NEW_ORDER_LIMIT: "300/3h" }, "CHARON_ACME_NEW_ORDER_LIMIT must be a positive whole number"],
    [{ CHARON_SESSION_LIFETIME_MINUTES: "8h" }, "CHARON_SESSION_LIFETIME_MINUTES must be a positive whole number (minutes a console session lasts), got '8h'"],
    [{ CHARON_SESSION_LIFETIME_MINUTES: "2" }, "CHARON_SESSION_LIFETIME_MINUTES must be between 5 and 10080 minutes, got '2'"],
  ])("%j", async (env, message) => {
    const dataDirectory = join(await mkdtemp(join(tmpdir(), "charon-config-")), "data");
    const started = npmStart({ PORT: String(await freePort()), CHARON_DATA_DIR: dataDirectory, ...env });
    const error = (await started.then(
      () => new Error("npm start listened"),
      (e: unknown) => e,
    )) as Error;
    expect(error.message).toMatch(/^npm start exited \(1\):/);
    expect(error.message).toContain(message);
    // Nothing was started: not even the data directory exists.
    await expect(access(dataDirectory)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
