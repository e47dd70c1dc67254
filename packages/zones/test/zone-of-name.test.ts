import { describe, expect, it } from "vitest";
import { findHostedZone, registrableDomain } from "@charon/zones";

describe("registrableDomain (spec §5)", () => {
  it.each([
    ["api.sub.example.com", "example.com"],
    ["shop.example.co.uk", "example.co.uk"],
    ["example.com", "example.com"],
    ["*.shop.example.com", "example.com"],
    ["*.example.com", "example.com"],
    ["www.xn--bcher-kva.de", "xn--bcher-kva.de"],
    // The private section of the list is ignored: github.io is a domain like any other here.
    ["me.github.io", "github.io"],
  ])("%s → %s", (name, zone) => {
    expect(registrableDomain(name)).toBe(zone);
  });

  it.each(["com", "co.uk", "localhost", "192.0.2.1"])("%s has none", (name) => {
    expect(registrableDomain(name)).toBeNull();
  });
});

describe("findHostedZone (spec §5)", () => {
  const zones = ["example.com", "dev.example.com", "example.org"];

  it.each([
    ["www.example.com", "example.com"],
    ["example.com", "example.com"],
    ["api.dev.example.com", "dev.example.com"],
    ["dev.example.com", "dev.example.com"],
    ["*.dev.example.com", "dev.example.com"],
    ["*.example.com", "example.com"],
    ["shop.example.org", "example.org"],
  ])("writes the challenge of %s into %s", (name, zone) => {
    expect(findHostedZone(name, zones)).toBe(zone);
  });

  it("finds nothing outside the provider's zones, or across a label boundary", () => {
    expect(findHostedZone("www.example.net", zones)).toBeNull();
    expect(findHostedZone("www.myexample.com", ["example.com"])).toBeNull();
    expect(findHostedZone("example.com", [])).toBeNull();
  });

  it("prefers a delegated _acme-challenge zone, the longest suffix of the record name", () => {
    expect(findHostedZone("example.com", ["example.com", "_acme-challenge.example.com"])).toBe("_acme-challenge.example.com");
  });

  it("reads zones as providers report them, and returns them as given", () => {
    expect(findHostedZone("www.example.com", ["Example.COM."])).toBe("Example.COM.");
    expect(findHostedZone("www.xn--bcher-kva.example", ["bücher.example"])).toBe("bücher.example");
    expect(findHostedZone("WWW.Bücher.example", ["xn--bcher-kva.example"])).toBe("xn--bcher-kva.example");
  });

  it("keeps the first of zones listed twice", () => {
    expect(findHostedZone("www.example.com", ["example.com", "EXAMPLE.com."])).toBe("example.com");
  });

  it("skips zones it cannot read", () => {
    expect(findHostedZone("www.example.com", ["", "xn--a.com", "example.com"])).toBe("example.com");
  });
});
