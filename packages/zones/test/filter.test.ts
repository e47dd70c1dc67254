import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DEPRECATED_FILTER, MAX_PATTERNS_PER_FILTER, formatZoneFilter, parseZoneFilter, type ZoneFilter } from "@charon/zones";
import { anyText, filterText, nearValid } from "./arbitraries.js";

const parsed = (input: string): ZoneFilter => {
  const result = parseZoneFilter(input);
  if (!result.ok) throw new Error(`expected '${input}' to parse: ${result.error.details}`);
  return result.value;
};

const rejected = (input: string) => {
  const result = parseZoneFilter(input);
  if (result.ok) throw new Error(`expected '${input}' to be rejected, got ${JSON.stringify(result.value)}`);
  return result.error;
};

describe("parseZoneFilter (spec §2)", () => {
  it("reads the empty filter as the catch-all", () => {
    expect(parsed("")).toEqual({ kind: "catch_all" });
  });

  it("reads __deprecated__ alone as a filter that matches nothing", () => {
    expect(parsed("__deprecated__")).toEqual({ kind: "deprecated" });
  });

  it("reads exact and wildcard patterns, with their zones and specificity", () => {
    expect(parsed("example.com,*.dev.example.net")).toEqual({
      kind: "patterns",
      patterns: [
        { type: "exact", zone: "example.com", text: "example.com", specificity: 2 },
        { type: "wildcard", zone: "dev.example.net", text: "*.dev.example.net", specificity: 3 },
      ],
    });
  });

  it("stores patterns lower-case, as A-labels", () => {
    expect(formatZoneFilter(parsed("Example.COM,*.Bücher.example"))).toBe("example.com,*.xn--bcher-kva.example");
  });

  // The documents' valid formats (Troubleshooting, Issue 3) and zone filter examples.
  it.each([
    ["example.com"],
    ["*.customer-a.com"],
    ["example.com,api.example.org"],
    ["*.staging.example.com,*.dev.example.com"],
    ["example.com,api.example.org,*.dev.example.net"],
    ["*.staging.example.com"],
    ["example.com,example.org"],
    ["*.customers.example.com"],
    ["*.internal.example.com"],
  ])("accepts the documents' filter %j unchanged", (input) => {
    expect(formatZoneFilter(parsed(input))).toBe(input);
  });

  it(`accepts ${MAX_PATTERNS_PER_FILTER} patterns`, () => {
    const input = Array.from({ length: MAX_PATTERNS_PER_FILTER }, (_, i) => `customer-${i}.com`).join(",");
    expect(formatZoneFilter(parsed(input))).toBe(input);
  });

  it.each([
    // The documents' invalid formats.
    ["example..com", "empty_label", "Zone filter pattern 'example..com' has an empty label"],
    ["example.com.", "trailing_dot", "Zone filter pattern 'example.com.' has a trailing dot"],
    ["*customer-a.com", "misplaced_wildcard", "Zone filter pattern '*customer-a.com' has a misplaced '*': use '*.' at the start"],
    ["example.com, api.example.org", "contains_space", "Zone filter cannot contain spaces"],
    ["example.com; api.example.org", "wrong_separator", "Zone filter uses ';' as separator: separate patterns with ','"],
    // Spec §2.
    ["example.com;api.example.org", "wrong_separator", "Zone filter uses ';' as separator: separate patterns with ','"],
    [" example.com", "contains_space", "Zone filter cannot contain spaces"],
    ["example.com\tapi.example.org", "contains_space", "Zone filter cannot contain spaces"],
    ["example.com,\u00a0api.example.org", "contains_space", "Zone filter cannot contain spaces"],
    ["a.com,,b.com", "empty_entry", "Zone filter has an empty entry"],
    ["a.com,", "empty_entry", "Zone filter has an empty entry"],
    [",a.com", "empty_entry", "Zone filter has an empty entry"],
    [",", "empty_entry", "Zone filter has an empty entry"],
    ["a.*.com", "misplaced_wildcard", "Zone filter pattern 'a.*.com' has a misplaced '*': use '*.' at the start"],
    ["**.a.com", "misplaced_wildcard", "Zone filter pattern '**.a.com' has a misplaced '*': use '*.' at the start"],
    ["*", "misplaced_wildcard", "Zone filter pattern '*' has a misplaced '*': use '*.' at the start"],
    ["*.", "trailing_dot", "Zone filter pattern '*.' has a trailing dot"],
    ["Example.com.", "trailing_dot", "Zone filter pattern 'Example.com.' has a trailing dot"],
    ["com", "public_suffix", "Zone filter pattern 'com' is a public suffix and would match every customer's domains"],
    ["co.uk", "public_suffix", "Zone filter pattern 'co.uk' is a public suffix and would match every customer's domains"],
    ["*.com", "public_suffix", "Zone filter pattern '*.com' covers the public suffix 'com' and would match every customer's domains"],
    ["example.com,*.co.uk", "public_suffix", "Zone filter pattern '*.co.uk' covers the public suffix 'co.uk' and would match every customer's domains"],
    ["example.com,example.com", "duplicate_pattern", "Zone filter pattern 'example.com' appears twice"],
    ["example.com,Example.COM", "duplicate_pattern", "Zone filter pattern 'example.com' appears twice"],
    ["bücher.example,xn--bcher-kva.example", "duplicate_pattern", "Zone filter pattern 'xn--bcher-kva.example' appears twice"],
    ["example.com,__deprecated__", "deprecated_not_alone", "Zone filter '__deprecated__' must be the whole filter, not one pattern among others"],
    ["exa_mple.com", "invalid_character", "Zone filter pattern 'exa_mple.com' contains '_': only letters, digits and hyphens are allowed"],
    ["-example.com", "hyphen_at_label_edge", "Zone filter pattern '-example.com' has a label that starts with '-' ('-example')"],
    ["xn--a.com", "invalid_idna", "Zone filter pattern 'xn--a.com' is not a valid internationalised domain name (UTS-46): check its 'xn--' labels, joiner characters and right-to-left text"],
  ])("rejects %j (%s)", (input, code, details) => {
    expect(rejected(input)).toEqual({ code, title: "Invalid zone filter format", details });
  });

  it("rejects an over-long label or name in a pattern", () => {
    expect(rejected(`${"a".repeat(64)}.com`).code).toBe("label_too_long");
    expect(rejected(`${Array(5).fill("a".repeat(63)).join(".")}.com`).code).toBe("name_too_long");
  });

  it("only takes public suffixes from the ICANN section of the list", () => {
    // github.io is in the list's private section: a customer's zone, not a public suffix.
    expect(formatZoneFilter(parsed("github.io"))).toBe("github.io");
  });

  it(`caps a filter at ${MAX_PATTERNS_PER_FILTER} patterns, saying why`, () => {
    const input = Array.from({ length: MAX_PATTERNS_PER_FILTER + 1 }, (_, i) => `customer-${i}.com`).join(",");
    expect(rejected(input)).toEqual({
      code: "too_many_patterns",
      title: "Invalid zone filter format",
      details: `Zone filter has 41 patterns; at most 40 are allowed, because a credential's patterns are saved in one storage transaction`,
    });
  });

  it("reads a stored filter by the syntax alone with policy: false, as a filter of an older policy", () => {
    const many = Array.from({ length: MAX_PATTERNS_PER_FILTER + 1 }, (_, i) => `customer-${i}.com`).join(",");
    for (const stored of ["co.uk", "*.co.uk,example.com", many]) {
      const result = parseZoneFilter(stored, { policy: false });
      expect(result.ok && formatZoneFilter(result.value), stored).toBe(stored);
    }
    for (const [damaged, code] of [["a..com", "empty_label"], ["a.com;b.com", "wrong_separator"], ["x_y.com", "invalid_character"]]) {
      const result = parseZoneFilter(damaged!, { policy: false });
      expect(result.ok ? "accepted" : result.error.code, damaged).toBe(code);
    }
  });

  it("refuses any full stop UTS-46 maps to '.' at the end of a pattern, as the ASCII one", () => {
    expect(rejected("example.com。").code).toBe("trailing_dot");
    expect(rejected("example.com．").code).toBe("trailing_dot");
  });

  it("never throws, whatever the input", () => {
    fc.assert(
      fc.property(anyText, (input) => {
        parseZoneFilter(input);
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.array(nearValid, { maxLength: 5 }), (entries) => {
        parseZoneFilter(entries.join(","));
      }),
    );
  });
});

describe("formatZoneFilter", () => {
  it("writes the catch-all and the deprecated filter as they are typed", () => {
    expect(formatZoneFilter({ kind: "catch_all" })).toBe("");
    expect(formatZoneFilter({ kind: "deprecated" })).toBe(DEPRECATED_FILTER);
  });

  it("writes what parseZoneFilter reads back unchanged", () => {
    fc.assert(
      fc.property(fc.oneof(filterText, anyText), (input) => {
        const first = parseZoneFilter(input);
        if (!first.ok) return;
        const text = formatZoneFilter(first.value);
        expect(parseZoneFilter(text)).toEqual(first);
        expect(formatZoneFilter(parsed(text))).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it("keeps generated filters as they are (they are canonical already)", () => {
    fc.assert(
      fc.property(filterText, (input) => {
        expect(formatZoneFilter(parsed(input))).toBe(input);
      }),
    );
  });
});
