import { describe, expect, it } from "vitest";
import { isolateFaults, type Trial } from "../src/isolate.js";

/** A configuration test that fails while any of `bad` is in it, naming the first. */
function checker(bad: Set<number>) {
  const calls: number[][] = [];
  const trial = async (units: readonly number[]): Promise<Trial> => {
    calls.push([...units]);
    const culprit = units.find((u) => bad.has(u));
    return culprit === undefined ? { ok: true } : { ok: false, message: `unknown directive in hosts/${culprit}.conf` };
  };
  return { trial, calls };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe("isolateFaults", () => {
  it("accepts everything in one trial when nothing is wrong", async () => {
    const { trial, calls } = checker(new Set());
    const result = await isolateFaults(range(100), trial);
    expect(result.accepted).toEqual(range(100));
    expect(result.rejected).toEqual([]);
    expect(calls).toHaveLength(1);
  });

  it("finds one bad unit among 1000 in about 2·log2(n) trials, with its own message", async () => {
    const { trial, calls } = checker(new Set([637]));
    const result = await isolateFaults(range(1000), trial);
    expect(result.rejected).toEqual([{ unit: 637, message: "unknown directive in hosts/637.conf" }]);
    expect(result.accepted).toHaveLength(999);
    expect(calls.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(1000)) + 1);
  });

  it("finds several bad units, each with its message, far below one trial per unit", async () => {
    const bad = new Set([3, 250, 251, 999]);
    const { trial, calls } = checker(bad);
    const result = await isolateFaults(range(1000), trial);
    expect(result.rejected.map((r) => r.unit).sort((a, b) => a - b)).toEqual([3, 250, 251, 999]);
    for (const { unit, message } of result.rejected) expect(message).toBe(`unknown directive in hosts/${unit}.conf`);
    expect(new Set(result.accepted)).toEqual(new Set(range(1000).filter((u) => !bad.has(u))));
    expect(calls.length).toBeLessThan(100);
  });

  it("each trial builds on what passed before it, so the accepted units pass together", async () => {
    const bad = new Set([2, 7]);
    const { trial, calls } = checker(bad);
    const result = await isolateFaults(range(8), trial);
    expect(result.accepted.some((u) => bad.has(u))).toBe(false);
    let passedSoFar: number[] = [];
    for (const call of calls) {
      expect(call).toEqual(expect.arrayContaining(passedSoFar));
      if (!call.some((u) => bad.has(u))) passedSoFar = call;
    }
    expect(new Set(passedSoFar)).toEqual(new Set(result.accepted));
  });
});
