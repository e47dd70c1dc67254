import { describe, expect, it } from "vitest";
import { defaultAuthFailureLimits } from "@charon/core";
import { authFailureLimitsFrom } from "../src/config.js";

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
