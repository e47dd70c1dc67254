import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { findConflicts, findOverlaps, matchPattern, type Pattern } from "@charon/zones";
import { name, patternText } from "./arbitraries.js";
import { filter } from "./helpers.js";

const others = (...entries: Array<[number, string]>) => entries.map(([id, text]) => ({ id, filter: filter(text) }));

describe("findConflicts (spec §6)", () => {
  it("reports a pattern another credential holds, with that credential's id", () => {
    expect(findConflicts(filter("api.example.org,example.com"), others([7, "example.org"], [42, "www.example.net,example.com"]))).toEqual([
      { credentialId: 42, pattern: "example.com", message: "Zone filter 'example.com' conflicts with existing credential" },
    ]);
  });

  it("compares patterns in their stored form", () => {
    expect(findConflicts(filter("Bücher.example"), others([3, "xn--bcher-kva.example"]))).toEqual([
      { credentialId: 3, pattern: "xn--bcher-kva.example", message: "Zone filter 'xn--bcher-kva.example' conflicts with existing credential" },
    ]);
  });

  it("reports a second catch-all", () => {
    expect(findConflicts(filter(""), others([5, "example.com"], [9, ""]))).toEqual([
      { credentialId: 9, pattern: "", message: "Zone filter '' (catch-all) conflicts with existing credential" },
    ]);
  });

  it("finds no conflict between different patterns, nor between a catch-all and patterns", () => {
    expect(findConflicts(filter("example.com"), others([1, "*.example.com"], [2, "api.example.com"], [3, ""]))).toEqual([]);
    expect(findConflicts(filter(""), others([1, "example.com"]))).toEqual([]);
  });

  it("frees the patterns of deprecated credentials, and a deprecated filter claims nothing", () => {
    expect(findConflicts(filter("example.com"), others([1, "__deprecated__"]))).toEqual([]);
    expect(findConflicts(filter("__deprecated__"), others([1, "__deprecated__"], [2, ""]))).toEqual([]);
  });
});

describe("findOverlaps (spec §6)", () => {
  it.each([
    ["example.com", "*.example.com"],
    ["*.example.com", "example.com"],
    ["*.example.com", "*.staging.example.com"],
    ["*.staging.example.com", "*.example.com"],
    ["example.com", "api.example.com"],
    ["api.example.com", "example.com"],
    ["example.com", "*.dev.api.example.com"],
  ])("warns that %s overlaps %s", (mine, theirs) => {
    expect(findOverlaps(filter(mine), others([7, theirs]))).toEqual([
      {
        code: "overlap",
        message: `Zone filter pattern '${mine}' overlaps '${theirs}' of credential 7: where both match, the more specific pattern wins, exact before wildcard`,
        credentialId: 7,
        pattern: mine,
      },
    ]);
  });

  it.each([
    ["a.com", "b.com"],
    ["example.com", "myexample.com"],
    ["*.example.com", "example.org"],
    ["*.us.example.com", "*.eu.example.com"],
    ["example.com", ""],
    ["", "example.com"],
    ["example.com", "__deprecated__"],
    // The same pattern twice is a conflict, not an overlap.
    ["example.com", "example.com"],
  ])("does not warn about %j and %j", (mine, theirs) => {
    expect(findOverlaps(filter(mine), others([7, theirs]))).toEqual([]);
  });

  it("reports every pair, pattern by pattern", () => {
    const warnings = findOverlaps(filter("example.com,*.staging.example.com"), others([2, "*.example.com"], [3, "app.staging.example.com"]));
    expect(warnings.map((w) => [w.pattern, w.credentialId])).toEqual([
      ["example.com", 2],
      ["example.com", 3],
      ["*.staging.example.com", 2],
      ["*.staging.example.com", 3],
    ]);
  });

  it("warns exactly when some name is matched by both patterns", () => {
    const one = (text: string) => (filter(text) as { patterns: Pattern[] }).patterns[0] as Pattern;
    fc.assert(
      fc.property(patternText, patternText, name, (mineText, theirsText, domain) => {
        fc.pre(mineText !== theirsText);
        const [mine, theirs] = [one(mineText), one(theirsText)];
        const warned = findOverlaps(filter(mineText), others([7, theirsText])).length > 0;
        // A shared name, if there is one: a label under the deeper of the two zones.
        const deeper = mine.zone.length > theirs.zone.length ? mine.zone : theirs.zone;
        expect(warned).toBe(matchPattern(mine, `a.${deeper}`) && matchPattern(theirs, `a.${deeper}`));
        if (matchPattern(mine, domain) && matchPattern(theirs, domain)) expect(warned).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
