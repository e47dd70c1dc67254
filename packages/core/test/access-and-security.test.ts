import { describe, expect, it } from "vitest";
import {
  AuthFailureThrottle,
  RateLimitedError,
  isWithin,
  matchesDecision,
  wafStatus,
  type CrowdSecDecision,
  type Principal,
  type ProxyHost,
} from "@charon/core";

const principal = (p: Omit<Principal, "tokenId" | "name">): Principal => ({ tokenId: 1, name: "t", ...p });

describe("isWithin: a token never mints more than it holds", () => {
  it.each([
    [{ permission: "full", scopes: {} }, { permission: "read", scopes: {} }, true],
    [{ permission: "read", scopes: {} }, { permission: "full", scopes: {} }, false],
    [{ permission: "read", scopes: {} }, { permission: "scoped", scopes: { proxy_hosts: "read" } }, true],
    [{ permission: "read", scopes: {} }, { permission: "scoped", scopes: { proxy_hosts: "write" } }, false],
    [{ permission: "scoped", scopes: { proxy_hosts: "write" } }, { permission: "scoped", scopes: { proxy_hosts: "read" } }, true],
    [{ permission: "scoped", scopes: { proxy_hosts: "read" } }, { permission: "scoped", scopes: { proxy_hosts: "write" } }, false],
    [{ permission: "scoped", scopes: { tokens: "write" } }, { permission: "read", scopes: {} }, false],
  ] as const)("%j may create %j: %s", (holder, candidate, expected) => {
    expect(isWithin(principal(holder), candidate)).toBe(expected);
  });
});

describe("AuthFailureThrottle", () => {
  it("counts per address and window, blocks past the limit, and forgets at the window's end", async () => {
    let now = Date.parse("2026-01-01T00:00:30Z");
    const counts = new Map<string, number>();
    const counter = {
      add: async (address: string, windowStart: Date) => {
        const key = `${address}@${windowStart.toISOString()}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        return counts.get(key)!;
      },
    };
    const throttle = new AuthFailureThrottle(counter, { now: () => new Date(now) }, { maxFailures: 2, windowSeconds: 60 });
    await throttle.recordFailure("a");
    await throttle.recordFailure("a");
    const error = await throttle.recordFailure("a").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterSeconds).toBe(30);
    expect(() => throttle.checkBlocked("a")).toThrow(RateLimitedError);
    expect(() => throttle.checkBlocked("b")).not.toThrow();
    const writes = counts.size;
    await throttle.recordFailure("a").catch(() => undefined);
    expect(counts.get("a@2026-01-01T00:00:00.000Z")).toBe(3); // blocked: no further writes
    expect(counts.size).toBe(writes);
    now += 30_000;
    await expect(throttle.recordFailure("a")).resolves.toBeUndefined();
  });
});

describe("wafStatus", () => {
  const host = (id: number, waf_enabled: boolean, waf_mode: "block" | "monitor", enabled = true) =>
    ({ id, domain_names: [`h${id}.example.com`], enabled, waf_enabled, waf_mode }) as ProxyHost;

  it("groups hosts by their effective mode", () => {
    const status = wafStatus(false, [host(1, true, "block"), host(2, false, "block"), host(3, true, "monitor")]);
    expect(status.enabled).toBe(false);
    expect(status.counts).toEqual({ block: 1, monitor: 1, off: 1 });
    expect(status.hosts.off).toEqual([{ id: 2, domain_names: ["h2.example.com"], reported: [] }]);
  });

  it("counts a disabled host as off whatever its WAF settings: it serves nothing", () => {
    const status = wafStatus(true, [host(1, true, "block", false), host(2, true, "monitor", false), host(3, true, "block")]);
    expect(status.counts).toEqual({ block: 1, monitor: 0, off: 2 });
    expect(status.hosts.off.map((h) => h.id)).toEqual([1, 2]);
  });
});

describe("matchesDecision", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  const decision = (scope: string, value: string, extra: Partial<CrowdSecDecision> = {}): CrowdSecDecision => ({
    id: 1,
    origin: "crowdsec",
    scope,
    value,
    type: "ban",
    scenario: "s",
    duration: "1h",
    until: "2026-01-01T01:00:00Z",
    agent: "a",
    ...extra,
  });
  it.each([
    [decision("Ip", "192.0.2.1"), { ip: "192.0.2.1" }, true],
    [decision("Ip", "192.0.2.1"), { ip: "192.0.2.2" }, false],
    [decision("Range", "192.0.2.0/25"), { ip: "192.0.2.100" }, true],
    [decision("Range", "192.0.2.0/25"), { ip: "192.0.2.200" }, false],
    [decision("Range", "2001:db8::/48"), { ip: "2001:db8:0:1::5" }, true],
    [decision("Range", "2001:db8::/48"), { ip: "192.0.2.1" }, false],
    [decision("Range", "not-a-range"), { ip: "192.0.2.1" }, false],
    [decision("Country", "FR"), { ip: "192.0.2.1" }, false],
    [decision("Ip", "192.0.2.1"), { scope: "ip", type: "BAN" }, true],
    [decision("Ip", "192.0.2.1", { until: "2025-12-31T23:59:59Z" }), {}, false],
  ] as const)("%j with %j: %s", (d, filter, expected) => {
    expect(matchesDecision(d, filter, now)).toBe(expected);
  });
});
