import { describe, expect, it } from "vitest";
import { normaliseName, normaliseUpstreamName } from "@charon/zones";

describe("normaliseUpstreamName: §1 for the machine a proxy forwards to", () => {
  it.each([
    ["myproject_web_1", "myproject_web_1"],
    ["_service.Internal.", "_service.internal"],
    ["Bücher_DB.internal", "xn--bcher_db-65a.internal"],
  ])("accepts %s as %s ('_' allowed, lower-case A-labels, one trailing dot stripped)", (input, expected) => {
    expect(normaliseUpstreamName(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["*.example.com", "is a wildcard: an upstream is one machine"],
    ["a..b", "has an empty label"],
    ["-web.internal", "has a label that starts with '-' ('-web')"],
    ["web .internal", "contains ' ': only letters, digits, hyphens and underscores are allowed"],
    [`${"x".repeat(64)}.internal`, "has a label of 64 octets"],
  ])("refuses %s", (input, reason) => {
    const result = normaliseUpstreamName(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.reason).toContain(reason);
  });

  it("leaves certificate names as §1 has them: no '_'", () => {
    expect(normaliseName("myproject_web_1.example.com").ok).toBe(false);
  });
});
