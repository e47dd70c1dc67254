import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ZoneIndex, matchPattern, parseZoneFilter, probeKeys, type Pattern } from "@charon/zones";
import { name, patternText } from "./arbitraries.js";

const pattern = (text: string): Pattern => {
  const result = parseZoneFilter(text);
  if (!result.ok || result.value.kind !== "patterns" || result.value.patterns.length !== 1) {
    throw new Error(`expected one pattern in '${text}'`);
  }
  return result.value.patterns[0] as Pattern;
};

/** Whether a credential with this filter serves `domain`, asked of the index and of matchPattern. */
const filterMatches = (filterText: string, domain: string): boolean => {
  const filter = parseZoneFilter(filterText);
  if (!filter.ok) throw new Error(filter.error.details);
  const byIndex = new ZoneIndex([{ credential: { id: 1 }, filter: filter.value }]).select(domain).credential !== null;
  const byPatterns =
    filter.value.kind === "catch_all" ||
    (filter.value.kind === "patterns" && filter.value.patterns.some((p) => matchPattern(p, domain)));
  expect(byIndex).toBe(byPatterns);
  return byIndex;
};

describe("matchPattern (spec §3)", () => {
  it.each(["example.com", "www.example.com", "a.b.example.com", "*.example.com"])("example.com matches %s", (n) => {
    expect(matchPattern(pattern("example.com"), n)).toBe(true);
  });

  it.each(["example.com.au", "myexample.com", "com", "example.org"])("example.com does not match %s", (n) => {
    expect(matchPattern(pattern("example.com"), n)).toBe(false);
  });

  it.each(["shop.customer-a.com", "a.b.customer-a.com", "*.customer-a.com", "*.shop.customer-a.com"])(
    "*.customer-a.com matches %s",
    (n) => {
      expect(matchPattern(pattern("*.customer-a.com"), n)).toBe(true);
    },
  );

  it.each(["customer-a.com", "customer-b.com", "shop.customer-b.com", "mycustomer-a.com", "com"])(
    "*.customer-a.com does not match %s",
    (n) => {
      expect(matchPattern(pattern("*.customer-a.com"), n)).toBe(false);
    },
  );

  it("counts the labels of the zone as specificity, with or without *.", () => {
    expect(pattern("example.com").specificity).toBe(2);
    expect(pattern("*.example.com").specificity).toBe(2);
    expect(pattern("*.staging.example.com").specificity).toBe(3);
    expect(pattern("example.co.uk").specificity).toBe(3);
  });
});

// The documents' zone filter options and examples table.
describe.each([
  {
    filter: "example.com",
    matches: ["example.com", "www.example.com", "api.example.com"],
    misses: ["example.org", "sub.example.com.au", "subdomain.example.com.au"],
  },
  {
    filter: "*.customer-a.com",
    matches: ["shop.customer-a.com", "api.customer-a.com", "*.customer-a.com"],
    misses: ["customer-a.com", "customer-b.com"],
  },
  {
    filter: "example.com,api.example.org,*.dev.example.net",
    matches: ["example.com", "www.example.com", "api.example.org", "v1.api.example.org", "app.dev.example.net", "*.dev.example.net"],
    misses: ["example.org", "www.example.org", "dev.example.net", "example.net"],
  },
  {
    filter: "*.staging.example.com",
    matches: ["app.staging.example.com", "api.staging.example.com"],
    misses: ["staging.example.com", "prod.example.com"],
  },
  {
    filter: "example.com,example.org",
    matches: ["example.com", "www.example.com", "example.org", "api.example.org"],
    misses: ["example.net"],
  },
  {
    filter: "",
    matches: ["example.com", "random.org", "anything.com", "*.example.net"],
    misses: [],
  },
  {
    filter: "__deprecated__",
    matches: [],
    misses: ["example.com", "random.org"],
  },
])("filter '$filter'", ({ filter, matches, misses }) => {
  it.each(matches)("matches %s", (domain) => {
    expect(filterMatches(filter, domain)).toBe(true);
  });
  it.each(misses)("does not match %s", (domain) => {
    expect(filterMatches(filter, domain)).toBe(false);
  });
});

describe("probeKeys", () => {
  it("lists every pattern that could match, most specific first, exact before wildcard", () => {
    expect(probeKeys("a.b.example.com")).toEqual([
      "a.b.example.com",
      "b.example.com",
      "*.b.example.com",
      "example.com",
      "*.example.com",
      "com",
      "*.com",
    ]);
  });

  it("lets a requested wildcard be matched by its own wildcard pattern and by exact patterns above it", () => {
    expect(probeKeys("*.customer-a.com")).toEqual(["customer-a.com", "*.customer-a.com", "com", "*.com"]);
  });

  it("handles a single label", () => {
    expect(probeKeys("localhost")).toEqual(["localhost"]);
  });

  it("holds a pattern's text exactly when the pattern matches the name", () => {
    fc.assert(
      fc.property(patternText, name, (text, domain) => {
        expect(probeKeys(domain).includes(text)).toBe(matchPattern(pattern(text), domain));
      }),
      { numRuns: 3000 },
    );
  });
});
