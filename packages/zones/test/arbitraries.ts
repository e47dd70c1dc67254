import fc from "fast-check";

/**
 * Generators for the property tests. Names and patterns come from a handful of labels, so that
 * random credentials share zones, nest inside one another and collide, as real ones may.
 */

const LABELS = ["a", "b", "shop", "xn--bcher-kva"];
// `com` is an ICANN suffix (never a pattern on its own); `internal` is outside the Public Suffix
// List, so it can be a single-label pattern and the top-level probe gets exercised too.
const TLDS = ["com", "internal"] as const;

const labels = (minLength: number, maxLength: number) => fc.array(fc.constantFrom(...LABELS), { minLength, maxLength });

/** A zone a pattern may name: never a public suffix. */
export const zone = fc.oneof(
  fc.tuple(labels(1, 2), fc.constant("com")),
  fc.tuple(labels(0, 2), fc.constant("internal")),
).map(([front, tld]) => [...front, tld].join("."));

export const patternText = fc.tuple(fc.boolean(), zone).map(([wildcard, z]) => (wildcard ? `*.${z}` : z));

export const filterText = fc.oneof(
  { weight: 1, arbitrary: fc.constant("") },
  { weight: 1, arbitrary: fc.constant("__deprecated__") },
  { weight: 6, arbitrary: fc.uniqueArray(patternText, { minLength: 1, maxLength: 3 }).map((p) => p.join(",")) },
);

/** Credentials of one provider: distinct ids in random order, any filters (conflicts included). */
export const credentialSet = fc.uniqueArray(fc.record({ id: fc.integer({ min: 1, max: 60 }), filter: filterText }), {
  selector: (c) => c.id,
  maxLength: 8,
});

/** A normalised name to match, sometimes a requested wildcard. */
export const name = fc
  .tuple(fc.boolean(), labels(0, 4), fc.constantFrom(...TLDS))
  .map(([wildcard, front, tld]) => `${wildcard ? "*." : ""}${[...front, tld].join(".")}`);

/** Strings close to valid names and filters: the edges a parser must get right. */
export const nearValid = fc
  .array(
    fc.constantFrom("a", "B", "ü", "-", "*", ".", "..", ",", "xn--", "xn--bcher-kva", " ", "_", ";", "ß", "\u200d", "。", "٣", "a".repeat(63), "com"),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(""));

/** Arbitrary text of every kind: ASCII, any code unit (lone surrogates included), graphemes. */
export const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme" }),
  nearValid,
);
