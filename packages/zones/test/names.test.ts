import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { normaliseName } from "@charon/zones";
import { anyText } from "./arbitraries.js";

const valid = (input: string) => {
  const result = normaliseName(input);
  if (!result.ok) throw new Error(`expected '${input}' to be valid: ${result.error.details}`);
  return result.value;
};

const invalid = (input: string) => {
  const result = normaliseName(input);
  if (result.ok) throw new Error(`expected '${input}' to be invalid, got '${result.value}'`);
  return result.error;
};

/** A valid name of exactly `length` octets: labels of 63 `x`s and a shorter one, then `.com`. */
function nameOfLength(length: number): string {
  const labels: string[] = [];
  let remaining = length - ".com".length;
  while (remaining > 64) {
    labels.push("x".repeat(63));
    remaining -= 64;
  }
  if (remaining === 64) labels.push("x".repeat(62), "x");
  else labels.push("x".repeat(remaining));
  return `${labels.join(".")}.com`;
}

describe("normaliseName (spec §1)", () => {
  it.each([
    ["Example.COM.", "example.com"],
    ["  www.Example.com  ", "www.example.com"],
    ["bücher.example", "xn--bcher-kva.example"],
    ["BÜCHER.example", "xn--bcher-kva.example"],
    ["*.customer-a.com", "*.customer-a.com"],
    ["*.Bücher.example.", "*.xn--bcher-kva.example"],
    ["xn--bcher-kva.example", "xn--bcher-kva.example"],
    // Browsers map the ideographic full stop to a dot and do not turn ß into ss (non-transitional).
    ["bücher。example", "xn--bcher-kva.example"],
    // …also as the trailing (root) dot, in each of the forms UTS-46 maps to '.'.
    ["bücher.example。", "xn--bcher-kva.example"],
    ["Example.com．", "example.com"],
    ["example.com｡", "example.com"],
    ["faß.de", "xn--fa-hia.de"],
    ["ab--cd.com", "ab--cd.com"],
    ["localhost", "localhost"],
    // ASCII names whose last label is a number never go through the URL host parser (it would read
    // them as IPv4 addresses): not for an 'S' or 'K' (which /\P{ASCII}/iu matched), nor for an
    // `xn--` inside a label.
    ["Sa.0", "sa.0"],
    ["K8S.1", "k8s.1"],
    ["0xn--0.0", "0xn--0.0"],
  ])("normalises %j to %j", (input, expected) => {
    expect(valid(input)).toBe(expected);
  });

  it("accepts a 63-octet label and a 253-octet name", () => {
    expect(nameOfLength(253)).toHaveLength(253);
    expect(valid(`${"a".repeat(63)}.com`)).toBe(`${"a".repeat(63)}.com`);
    expect(valid(nameOfLength(253))).toBe(nameOfLength(253));
  });

  it.each([
    ["", "empty_name", "Domain name is empty"],
    ["   ", "empty_name", "Domain name is empty"],
    ["a..b", "empty_label", "Domain name 'a..b' has an empty label"],
    [".example.com", "empty_label", "Domain name '.example.com' has an empty label"],
    ["example.com..", "empty_label", "Domain name 'example.com..' has an empty label"],
    ["example.com.。", "empty_label", "Domain name 'example.com.。' has an empty label"],
    [".", "empty_label", "Domain name '.' has an empty label"],
    ["a_b.com", "invalid_character", "Domain name 'a_b.com' contains '_': only letters, digits and hyphens are allowed"],
    ["a b.com", "invalid_character", "Domain name 'a b.com' contains ' ': only letters, digits and hyphens are allowed"],
    ["exa!mple.com", "invalid_character", "Domain name 'exa!mple.com' contains '!': only letters, digits and hyphens are allowed"],
    ["a\u0000.com", "invalid_character", "Domain name 'a\u0000.com' contains U+0000: only letters, digits and hyphens are allowed"],
    ["-shop.example.com", "hyphen_at_label_edge", "Domain name '-shop.example.com' has a label that starts with '-' ('-shop')"],
    ["shop-.example.com", "hyphen_at_label_edge", "Domain name 'shop-.example.com' has a label that ends with '-' ('shop-')"],
    ["a.*.com", "misplaced_wildcard", "Domain name 'a.*.com' has a misplaced '*': use '*.' at the start"],
    ["*a.com", "misplaced_wildcard", "Domain name '*a.com' has a misplaced '*': use '*.' at the start"],
    ["**.a.com", "misplaced_wildcard", "Domain name '**.a.com' has a misplaced '*': use '*.' at the start"],
    ["*.*.a.com", "misplaced_wildcard", "Domain name '*.*.a.com' has a misplaced '*': use '*.' at the start"],
    ["*", "misplaced_wildcard", "Domain name '*' has a misplaced '*': use '*.' at the start"],
  ])("rejects %j (%s)", (input, code, details) => {
    expect(invalid(input)).toEqual({ code, title: "Invalid domain name", details });
  });

  it("rejects a label over 63 octets, naming the label", () => {
    const label = "a".repeat(64);
    expect(invalid(`${label}.com`)).toEqual({
      code: "label_too_long",
      title: "Invalid domain name",
      details: `Domain name '${label}.com' has a label of 64 octets ('${label}'); the limit is 63`,
    });
  });

  it("measures labels as A-labels", () => {
    // 60 × ü is 60 characters, but its A-label is far longer than 63 octets.
    expect(invalid(`${"ü".repeat(60)}.com`).code).toBe("label_too_long");
  });

  it("rejects a name over 253 octets", () => {
    const name = nameOfLength(254);
    expect(name).toHaveLength(254);
    expect(invalid(name)).toEqual({
      code: "name_too_long",
      title: "Invalid domain name",
      details: `Domain name '${name}' is 254 octets long; the limit is 253`,
    });
  });

  it("counts the wildcard label in the name's length", () => {
    expect(valid(nameOfLength(252))).toBe(nameOfLength(252));
    expect(invalid(`*.${nameOfLength(252)}`).code).toBe("name_too_long");
  });

  it("says when the length is that of the ASCII form", () => {
    // 12 × "üöäëïÿ" (6 characters, A-label "xn--4caomz3aw"): 180 characters, 264 octets as ASCII.
    const name = `${Array(12).fill("üöäëïÿ").join(".")}.${"a".repeat(46)}.${"b".repeat(45)}.com`;
    expect(name.length).toBeLessThanOrEqual(253);
    expect(invalid(name).details).toBe(`Domain name '${name}' is 264 octets long in its ASCII (IDNA) form; the limit is 253`);
  });

  it.each([
    ["xn--a.com", "invalid Punycode"],
    ["a\u200db.com", "a zero-width joiner out of context"],
    ["\ud800.com", "a lone surrogate"],
  ])("rejects %j (%s) as invalid IDNA", (input) => {
    expect(invalid(input)).toEqual({
      code: "invalid_idna",
      title: "Invalid domain name",
      details: `Domain name '${input}' is not a valid internationalised domain name (UTS-46): check its 'xn--' labels, joiner characters and right-to-left text`,
    });
  });

  it("never throws, whatever the input", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" })), (input) => {
        normaliseName(input);
      }),
      { numRuns: 2000 },
    );
  });

  it("returns only canonical names, and is idempotent on them", () => {
    fc.assert(
      fc.property(anyText, (input) => {
        const result = normaliseName(input);
        if (!result.ok) return;
        const name = result.value;
        expect(name).toMatch(/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*$/);
        expect(name.length).toBeLessThanOrEqual(253);
        for (const label of name.replace(/^\*\./, "").split(".")) {
          expect(label.length).toBeLessThanOrEqual(63);
          expect(label).not.toMatch(/^-|-$/);
        }
        expect(normaliseName(name)).toEqual({ ok: true, value: name });
      }),
      { numRuns: 3000 },
    );
  });
});
