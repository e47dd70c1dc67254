import { describe, expect, it } from "vitest";
import { certificateCovers } from "@charon/zones";

describe("certificateCovers", () => {
  it.each([
    [["*.example.com"], "shop.example.com"],
    [["*.example.com"], "*.example.com"],
    [["example.com"], "example.com"],
    [["example.com", "*.example.com"], "example.com"],
    [["www.example.com", "api.example.org"], "api.example.org"],
    [["Example.COM."], "example.com"],
    [["example.com"], "EXAMPLE.com."],
    [["*.bücher.example"], "shop.xn--bcher-kva.example"],
    [["*.xn--bcher-kva.example"], "Shop.Bücher.example"],
  ])("%j covers %s", (names, host) => {
    expect(certificateCovers(names, host)).toBe(true);
  });

  it.each([
    [["*.example.com"], "a.shop.example.com"],
    [["*.example.com"], "example.com"],
    [["*.example.com"], "*.shop.example.com"],
    [["*.example.com"], "shop.example.org"],
    [["example.com"], "www.example.com"],
    [["shop.example.com"], "*.example.com"],
    [[], "example.com"],
    [["xn--a.com"], "xn--a.com"],
  ])("%j does not cover %s", (names, host) => {
    expect(certificateCovers(names, host)).toBe(false);
  });
});
