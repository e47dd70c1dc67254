import { describe, expect, it } from "vitest";
import { nextLookAt, planRenewal, renewalStartsAt, type RenewalSchedule } from "../src/index.js";

/** An injected clock: every time below is relative to it. */
const now = new Date("2026-03-01T12:00:00.000Z");
const at = (hours: number) => new Date(now.getTime() + hours * 3_600_000);
const days = (n: number) => n * 24;
const ninetyDays = { issuedAt: now, expiresAt: at(days(90)) };
const sixDays = { issuedAt: now, expiresAt: at(days(6)) };

describe("planRenewal (dns-01.md §4)", () => {
  it("files a new certificate at 1/3 of its lifetime left, 1/2 for 10 days or less, and asks the CA at the next sweep", () => {
    const classic = planRenewal(undefined, { kind: "issued", validity: ninetyDays, renewalInfo: true }, now);
    expect(classic).toMatchObject({ renewal_due_at: at(days(60)).toISOString(), renewal_due_source: "lifetime", renewal_info_check_at: now.toISOString() });
    const short = planRenewal(undefined, { kind: "issued", validity: sixDays, renewalInfo: false }, now);
    expect(short).toMatchObject({ renewal_due_at: at(days(3)).toISOString(), renewal_info_check_at: null, renewal_failures: [] });
  });

  it("picks a uniformly random time in the CA's window, keeps it while the window stays, and honours Retry-After within twice a day", () => {
    const issued = planRenewal(undefined, { kind: "issued", validity: ninetyDays, renewalInfo: true }, now);
    const info = { start: at(days(58)), end: at(days(60)), explanationUrl: "https://ca.example/why", retryAfterSeconds: 21_600 };
    const early = planRenewal(issued, { kind: "renewal_info", validity: ninetyDays, info }, now, () => 0);
    const late = planRenewal(issued, { kind: "renewal_info", validity: ninetyDays, info }, now, () => 0.5);
    expect(early).toMatchObject({ renewal_due_at: at(days(58)).toISOString(), renewal_due_source: "ari", renewal_explanation_url: "https://ca.example/why" });
    expect(late.renewal_due_at).toBe(at(days(59)).toISOString());
    expect(early.renewal_info_check_at).toBe(at(6).toISOString());
    // Checked again later: the same window keeps the time picked in it.
    expect(planRenewal(late, { kind: "renewal_info", validity: ninetyDays, info }, at(6), () => 0.99).renewal_due_at).toBe(late.renewal_due_at);
    // A Retry-After of a week is capped at 12 hours; no answer at all falls back to the lifetime.
    expect(planRenewal(issued, { kind: "renewal_info", validity: ninetyDays, info: { ...info, retryAfterSeconds: 604_800 } }, now).renewal_info_check_at).toBe(at(12).toISOString());
    const fallback = planRenewal(late, { kind: "renewal_info", validity: ninetyDays, info: undefined }, now);
    expect(fallback).toMatchObject({ renewal_due_source: "lifetime", renewal_due_at: at(days(60)).toISOString(), renewal_info_check_at: at(6).toISOString() });
  });

  it("ignores a window that ends after only 1/20 of the lifetime is left", () => {
    const info = { start: at(days(89)), end: at(days(90)) };
    const planned = planRenewal(undefined, { kind: "renewal_info", validity: ninetyDays, info }, now, () => 0.5);
    expect(planned.renewal_due_at).toBe(at(days(90) - (days(90) / 20)).toISOString());
  });

  it("backs off 1 min, 10 min, 100 min, then daily, counting consecutive failures per name", () => {
    const names = ["example.com", "*.example.com"];
    let schedule: RenewalSchedule = planRenewal(undefined, { kind: "issued", validity: ninetyDays, renewalInfo: false }, now);
    const waits: number[] = [];
    for (let failure = 1; failure <= 5; failure++) {
      schedule = planRenewal(schedule, { kind: "failed", names: ["*.example.com"], allNames: names }, now);
      waits.push((Date.parse(schedule.renewal_retry_at!) - now.getTime()) / 1000);
    }
    expect(waits).toEqual([60, 600, 6000, 86_400, 86_400]);
    expect(schedule.renewal_failures).toEqual([{ domain: "*.example.com", consecutive_failures: 5 }]);
    // A failure that names nobody counts against every name.
    const all = planRenewal(schedule, { kind: "failed", names: [], allNames: names }, now);
    expect(all.renewal_failures).toEqual([
      { domain: "example.com", consecutive_failures: 1 },
      { domain: "*.example.com", consecutive_failures: 6 },
    ]);
  });

  it("starts a due renewal only after its backoff, and looks again at whichever comes first", () => {
    const issued = planRenewal(undefined, { kind: "issued", validity: sixDays, renewalInfo: true }, now);
    const failed = planRenewal({ ...issued, renewal_due_at: at(-1).toISOString() }, { kind: "failed", names: [], allNames: ["a.test"] }, now);
    expect(renewalStartsAt(failed)).toEqual(at(1 / 60));
    expect(nextLookAt({ ...failed, renewal_info_check_at: at(6).toISOString() })).toEqual(at(1 / 60));
    expect(nextLookAt({ ...failed, renewal_info_check_at: at(0.001).toISOString() })).toEqual(at(0.001));
    // The hourly limit pushes the start to the next hour, never earlier than a longer backoff.
    const limited = planRenewal(failed, { kind: "limited", until: at(0.5) }, now);
    expect(renewalStartsAt(limited)).toEqual(at(0.5));
  });
});
