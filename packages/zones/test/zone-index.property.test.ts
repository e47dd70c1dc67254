import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ZoneIndex, normaliseName } from "@charon/zones";
import { suffixHashKey } from "../src/suffix-hash.js";
import { credentialSet, name } from "./arbitraries.js";
import { credentials, filter } from "./helpers.js";
import { referenceSelect } from "./reference.js";

describe("ZoneIndex against the rules applied to every pattern", () => {
  it("selects what the brute-force reference selects, with the same explanation", () => {
    fc.assert(
      fc.property(credentialSet, fc.array(name, { minLength: 1, maxLength: 10 }), (set, names) => {
        const entries = set.map(({ id, filter: text }) => ({ credential: { id }, filter: filter(text) }));
        const index = new ZoneIndex(entries);
        for (const domain of names) {
          expect(normaliseName(domain)).toEqual({ ok: true, value: domain });
          expect(index.select(domain)).toEqual(referenceSelect(entries, domain));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("does not depend on the order credentials are given in", () => {
    fc.assert(
      fc.property(credentialSet, name, (set, domain) => {
        const entries = set.map(({ id, filter: text }) => ({ credential: { id }, filter: filter(text) }));
        expect(new ZoneIndex([...entries].reverse()).select(domain)).toEqual(new ZoneIndex(entries).select(domain));
      }),
      { numRuns: 500 },
    );
  });
});

describe("ZoneIndex with zones whose hash keys collide", () => {
  // Two different zones with one hash key: found by a birthday search over 30-bit keys.
  const [first, second] = collidingZones();

  it("tells the zones apart", () => {
    const index = new ZoneIndex(credentials(["first", first], ["second", second]));
    expect(index.select(`www.${first}`).credential?.name).toBe("first");
    expect(index.select(`www.${second}`).credential?.name).toBe("second");
  });

  it("does not take one zone for the other", () => {
    const index = new ZoneIndex(credentials(["first", first]));
    expect(index.select(`www.${second}`).credential).toBeNull();
    expect(index.select(second).credential).toBeNull();
  });
});

function collidingZones(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const zone = `zone-${i}.com`;
    const key = suffixHashKey(zone);
    const earlier = seen.get(key);
    if (earlier !== undefined) return [earlier, zone];
    seen.set(key, zone);
  }
}
