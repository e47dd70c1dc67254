import { describe, expect, it } from "vitest";
import { ZoneIndex, chooseCredential, noMatchMessage, type Match, type Pattern } from "@charon/zones";
import { credentials, filter, type TestCredential } from "./helpers.js";

const patternOf = (text: string): Pattern => {
  const parsed = filter(text);
  if (parsed.kind !== "patterns") throw new Error(`'${text}' is not one pattern`);
  return parsed.patterns[0] as Pattern;
};
const match = (id: number, pattern: string | null): Match<TestCredential> => ({
  credential: { id, name: `credential ${id}` },
  pattern: pattern === null ? null : patternOf(pattern),
});
const chosenId = (name: string, matches: Array<Match<TestCredential>>) => chooseCredential(name, matches).credential?.id;

describe("chooseCredential (spec §4)", () => {
  it("prefers the most specific zone", () => {
    expect(chosenId("app.staging.example.com", [match(1, "example.com"), match(2, "*.staging.example.com")])).toBe(2);
    expect(chosenId("app.staging.example.com", [match(2, "*.staging.example.com"), match(1, "example.com")])).toBe(2);
  });

  it("prefers exact over wildcard at equal specificity, whatever the ids", () => {
    expect(chosenId("www.example.com", [match(9, "example.com"), match(1, "*.example.com")])).toBe(9);
    expect(chosenId("www.example.com", [match(1, "*.example.com"), match(9, "example.com")])).toBe(9);
  });

  it("chooses the catch-all only when nothing else matches", () => {
    expect(chosenId("shop.customer-a.com", [match(1, null), match(9, "*.customer-a.com")])).toBe(9);
    expect(chosenId("random.org", [match(1, null)])).toBe(1);
  });

  it("breaks the ties validation forbids by the lowest credential id", () => {
    expect(chosenId("www.example.com", [match(7, "example.com"), match(3, "example.com")])).toBe(3);
    expect(chosenId("random.org", [match(7, null), match(3, null)])).toBe(3);
  });

  it("reports no credential when nothing matches", () => {
    expect(chooseCredential("www.example.com", [])).toEqual({
      domain: "www.example.com",
      zone: "example.com",
      credential: null,
      matchedPattern: null,
      matchType: null,
      candidates: [],
    });
  });

  it("explains the choice with every candidate, best first (spec §8)", () => {
    const selection = chooseCredential("api.staging.example.com", [
      match(3, null),
      match(1, "*.example.com"),
      match(2, "*.staging.example.com"),
      match(4, "example.com"),
    ]);
    expect(selection).toEqual({
      domain: "api.staging.example.com",
      zone: "example.com",
      credential: { id: 2, name: "credential 2" },
      matchedPattern: "*.staging.example.com",
      matchType: "wildcard",
      candidates: [
        { credentialId: 2, pattern: "*.staging.example.com", matchType: "wildcard", specificity: 3 },
        { credentialId: 4, pattern: "example.com", matchType: "exact", specificity: 2 },
        { credentialId: 1, pattern: "*.example.com", matchType: "wildcard", specificity: 2 },
        { credentialId: 3, pattern: "", matchType: "catch_all", specificity: 0 },
      ],
    });
  });

  it("reports the catch-all as matched by the empty filter", () => {
    const selection = chooseCredential("random.org", [match(5, null)]);
    expect(selection).toMatchObject({ matchedPattern: "", matchType: "catch_all", zone: "random.org" });
  });

  it("names the registrable domain of a requested wildcard as its zone", () => {
    expect(chooseCredential("*.shop.example.co.uk", []).zone).toBe("example.co.uk");
  });

  it("does not change the matches it is given", () => {
    const matches = [match(1, null), match(2, "example.com")];
    const before = structuredClone(matches);
    chooseCredential("www.example.com", matches);
    expect(matches).toEqual(before);
  });
});

describe("noMatchMessage", () => {
  it("words the error as the documents do", () => {
    expect(noMatchMessage("cloudflare", "example.com")).toBe(
      "No credential found for provider 'cloudflare' and zone 'example.com'",
    );
  });
});

// Spec §7: every worked example of the documents, through the index.
describe.each([
  {
    example: "MSP with multiple customers",
    credentials: credentials(["A", "*.customer-a.com"], ["B", "*.customer-b.com"], ["C", ""]),
    expected: [
      ["shop.customer-a.com", "A"],
      ["api.customer-b.com", "B"],
      ["example.com", "C"],
      ["random.org", "C"],
    ],
  },
  {
    example: "environment separation",
    credentials: credentials(["P", "example.com"], ["S", "*.staging.example.com"], ["D", "*.dev.example.com"]),
    expected: [
      ["www.example.com", "P"],
      ["api.example.com", "P"],
      ["app.staging.example.com", "S"],
      ["api.dev.example.com", "D"],
      ["staging.example.com", "P"],
    ],
  },
  {
    example: "geographic separation",
    credentials: credentials(["US", "*.us.example.com"], ["EU", "*.eu.example.com"], ["APAC", "*.apac.example.com"]),
    expected: [
      ["shop.us.example.com", "US"],
      ["api.eu.example.com", "EU"],
      ["portal.apac.example.com", "APAC"],
      ["www.example.com", null],
    ],
  },
  {
    example: "overlapping patterns",
    credentials: credentials(["A", "example.com"], ["B", "*.example.com"]),
    expected: [["www.example.com", "A"]],
  },
])("worked example: $example", ({ credentials: entries, expected }) => {
  const index = new ZoneIndex(entries);
  it.each(expected)("%s → %s", (domain, credentialName) => {
    expect(index.select(domain as string).credential?.name ?? null).toBe(credentialName);
  });
});

describe("ZoneIndex", () => {
  it("answers with the error message of spec §4 when no credential matches", () => {
    const index = new ZoneIndex(credentials(["US", "*.us.example.com"], ["EU", "*.eu.example.com"]));
    const selection = index.select("www.example.com");
    expect(selection.credential).toBeNull();
    expect(noMatchMessage("cloudflare", selection.zone ?? selection.domain)).toBe(
      "No credential found for provider 'cloudflare' and zone 'example.com'",
    );
  });

  it("matches each name of a certificate on its own", () => {
    const index = new ZoneIndex(credentials(["A", "*.customer-a.com"], ["E", "example.com"]));
    expect(["shop.customer-a.com", "www.example.com"].map((n) => index.select(n).credential?.name)).toEqual(["A", "E"]);
  });

  it("never selects a deprecated credential, and still counts it", () => {
    const index = new ZoneIndex(credentials(["old", "__deprecated__"], ["new", "example.com"], ["fallback", ""]));
    expect(index.size).toBe(3);
    expect(index.select("www.example.com").candidates.map((c) => c.credentialId)).toEqual([2, 3]);
    expect(new ZoneIndex(credentials(["old", "__deprecated__"])).select("example.com").credential).toBeNull();
  });

  it("reads any iterable of credentials", () => {
    function* generate() {
      yield* credentials(["A", "example.com"]);
    }
    const index = new ZoneIndex(generate());
    expect(index.size).toBe(1);
    expect(index.select("www.example.com").credential?.name).toBe("A");
  });

  it("explains its choice with every candidate, best first", () => {
    const entries = credentials(["A", "example.com,*.dev.example.com"], ["B", "*.example.com"], ["C", ""]);
    const index = new ZoneIndex(entries);
    expect(index.select("api.dev.example.com")).toEqual({
      domain: "api.dev.example.com",
      zone: "example.com",
      credential: { id: 1, name: "A" },
      matchedPattern: "*.dev.example.com",
      matchType: "wildcard",
      candidates: [
        { credentialId: 1, pattern: "*.dev.example.com", matchType: "wildcard", specificity: 3 },
        { credentialId: 1, pattern: "example.com", matchType: "exact", specificity: 2 },
        { credentialId: 2, pattern: "*.example.com", matchType: "wildcard", specificity: 2 },
        { credentialId: 3, pattern: "", matchType: "catch_all", specificity: 0 },
      ],
    });
  });

  it("hands out selections of its own: changing one changes nothing in the index", () => {
    const index = new ZoneIndex(credentials(["A", "example.com"], ["B", "*.example.com"], ["C", ""]));
    const first = index.select("www.example.com");
    const snapshot = structuredClone(first);
    first.candidates.reverse();
    for (const candidate of first.candidates) candidate.credentialId = 99;
    expect(index.select("www.example.com")).toEqual(snapshot);
  });
});
