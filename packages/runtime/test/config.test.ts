import { describe, expect, it } from "vitest";
import { defaultAuthFailureLimits } from "@charon/core";
import { authFailureLimitsFrom, issuanceLimitsFrom, sessionLifetimeSecondsFrom } from "../src/config.js";

describe("CHARON_AUTH_FAILURE_LIMIT", () => {
  it("is 20 failures a minute unless set", () => {
    expect(authFailureLimitsFrom({})).toEqual({ maxFailures: 20, windowSeconds: 60 });
    expect(authFailureLimitsFrom({ CHARON_AUTH_FAILURE_LIMIT: " " })).toBe(defaultAuthFailureLimits);
  });

  it("sets the failures allowed per 60-second window", () => {
    expect(authFailureLimitsFrom({ CHARON_AUTH_FAILURE_LIMIT: "1000000" })).toEqual({ maxFailures: 1_000_000, windowSeconds: 60 });
    expect(authFailureLimitsFrom({ CHARON_AUTH_FAILURE_LIMIT: "1" })).toEqual({ maxFailures: 1, windowSeconds: 60 });
  });

  it.each(["0", "-5", "1.5", "1e3", "0x10", "ten", "1234567890"])("refuses %j at start-up, naming the variable", (value) => {
    expect(() => authFailureLimitsFrom({ CHARON_AUTH_FAILURE_LIMIT: value })).toThrow(/^CHARON_AUTH_FAILURE_LIMIT must be a positive whole number/);
  });
});

describe("CHARON_SESSION_LIFETIME_MINUTES", () => {
  it("is 8 hours unless set, and takes whole minutes from 5 to a week", () => {
    expect(sessionLifetimeSecondsFrom({})).toBe(8 * 3600);
    expect(sessionLifetimeSecondsFrom({ CHARON_SESSION_LIFETIME_MINUTES: "30" })).toBe(1800);
    expect(sessionLifetimeSecondsFrom({ CHARON_SESSION_LIFETIME_MINUTES: "10080" })).toBe(7 * 24 * 3600);
  });

  it.each(["0", "4", "10081", "1.5", "eight"])("refuses %j at start-up, naming the variable", (value) => {
    expect(() => sessionLifetimeSecondsFrom({ CHARON_SESSION_LIFETIME_MINUTES: value })).toThrow(/^CHARON_SESSION_LIFETIME_MINUTES must be/);
  });
});

describe("issuance limits (CHARON_ACME_NEW_ORDER_LIMIT, CHARON_ACME_NEW_ORDER_REFILL_SECONDS, CHARON_DNS_PROVIDER_CONCURRENCY)", () => {
  it("are Let's Encrypt's 300 new orders per account, one back every 36 s, and 10 orders per DNS provider unless set", () => {
    expect(issuanceLimitsFrom({})).toEqual({ newOrders: { capacity: 300, refillSeconds: 36 }, dnsProviderConcurrency: 10 });
  });

  it("take what is set", () => {
    const env = { CHARON_ACME_NEW_ORDER_LIMIT: "1000", CHARON_ACME_NEW_ORDER_REFILL_SECONDS: "1", CHARON_DNS_PROVIDER_CONCURRENCY: " 50 " };
    expect(issuanceLimitsFrom(env)).toEqual({ newOrders: { capacity: 1000, refillSeconds: 1 }, dnsProviderConcurrency: 50 });
  });

  it.each(["CHARON_ACME_NEW_ORDER_LIMIT", "CHARON_ACME_NEW_ORDER_REFILL_SECONDS", "CHARON_DNS_PROVIDER_CONCURRENCY"])(
    "refuse a value of %s that is not a positive whole number at start-up, naming it",
    (name) => {
      for (const value of ["0", "-1", "2.5", "ten"]) {
        expect(() => issuanceLimitsFrom({ [name]: value })).toThrow(new RegExp(`^${name} must be a positive whole number`));
      }
    },
  );
});
