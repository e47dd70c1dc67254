import { describe, expect, it } from "vitest";
import { DnsProviderError, type DnsCredential, type DnsProvider, type DnsProviderClient } from "@charon/core";
import { providerStatistics } from "../src/credentials/statistics.js";
import { planMoves } from "../src/credentials/reassignment.js";
import { credentialSecretName, parseCredentialSecretName } from "../src/credentials/secrets.js";
import { testCredential } from "../src/credentials/tester.js";
import { redactSecrets } from "../src/credentials/redaction.js";
import { canonicalFilter, claimsOf, storedFilter } from "../src/credentials/credential.js";

const now = new Date("2026-06-01T00:00:00.000Z");
const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();

function credential(id: number, fields: Partial<DnsCredential> & { lastUsedAt?: string | null; successes?: number; failures?: number } = {}): DnsCredential {
  return {
    id,
    providerId: 1,
    name: `C${id}`,
    description: null,
    zoneFilter: "",
    enabled: true,
    settings: {},
    secretName: `dns-credentials/1/${id}/00`,
    secretFields: ["api_token"],
    version: 1,
    createdAt: daysAgo(365),
    updatedAt: daysAgo(365),
    lastTestedAt: null,
    lastTestStatus: null,
    ...fields,
    stats: {
      usageCount: 0,
      successCount: fields.successes ?? 0,
      failureCount: fields.failures ?? 0,
      lastUsedAt: fields.lastUsedAt ?? null,
      lastSuccessAt: null,
      lastFailureAt: null,
    },
  };
}

const provider: DnsProvider = {
  id: 1,
  name: "P",
  type: "cloudflare",
  multiCredential: true,
  primaryCredentialId: 1,
  migratedAt: daysAgo(10),
  credentialCount: 0,
  version: 1,
  createdAt: daysAgo(400),
  updatedAt: daysAgo(10),
};

describe("provider statistics", () => {
  it("active within 30 days, inactive after 90 (never used counts once 90 days old), alerts under 90%", () => {
    const stats = providerStatistics(
      provider,
      [
        credential(1, { lastUsedAt: daysAgo(10), successes: 156, failures: 2 }),
        credential(2, { lastUsedAt: daysAgo(100) }),
        credential(3),
        credential(4, { createdAt: daysAgo(5) }),
        credential(5, { lastUsedAt: daysAgo(45), successes: 8, failures: 2 }),
      ],
      now,
    );
    expect(stats).toMatchObject({ totalCredentials: 5, activeCredentials: 1, inactiveCredentials: 2 });
    expect(stats.alerts).toEqual([expect.objectContaining({ credentialId: 5, successRate: 80 })]);
    expect(stats.topCredentials[0]).toMatchObject({ id: 1, successRate: 98.7 });
  });
});

describe("re-evaluation", () => {
  const usage = (domain: string, credentialId: number) => ({ providerId: 1, certificateId: 7, domain, credentialId });

  it("moves names to the credential that now wins, and leaves unmatched names where they are", () => {
    const credentials = [credential(1, { zoneFilter: "*.a.com" }), credential(2, { zoneFilter: "__deprecated__" })];
    const moves = planMoves(provider, credentials, [usage("x.a.com", 2), usage("y.b.com", 2), usage("z.a.com", 1)]);
    expect(moves).toEqual([{ usage: usage("x.a.com", 2), toCredentialId: 1 }]);
  });

  it("in single-credential mode every name goes to the primary credential", () => {
    const single = { ...provider, multiCredential: false, primaryCredentialId: 2 };
    const moves = planMoves(single, [credential(1, { zoneFilter: "*.a.com" }), credential(2, { zoneFilter: "b.com" })], [usage("x.a.com", 1)]);
    expect(moves).toEqual([{ usage: usage("x.a.com", 1), toCredentialId: 2 }]);
  });
});

describe("secret names", () => {
  it("are fresh per write and name their credential", () => {
    const a = credentialSecretName(3, 42);
    expect(a).toMatch(/^dns-credentials\/3\/42\/[0-9a-f]{16}$/);
    expect(credentialSecretName(3, 42)).not.toBe(a);
    expect(parseCredentialSecretName(a)).toEqual({ providerId: 3, credentialId: 42 });
    expect(parseCredentialSecretName("dns-credentials/3/x/1")).toBeNull();
  });
});

describe("credential test outcomes", () => {
  const client = (verify: DnsProviderClient["verify"]): (() => DnsProviderClient) => () => ({
    verify,
    listZones: () => Promise.resolve([]),
    addTxtRecord: () => Promise.resolve(),
    removeTxtRecord: () => Promise.resolve(),
  });

  it("scrubs secret values from whatever a failure says", async () => {
    const failure = new DnsProviderError({
      provider: "cloudflare",
      message: "Cloudflare API returned 403: bad token s3cr3t-value",
      reason: "forbidden",
      upstreamStatus: 403,
      upstreamMessage: "token s3cr3t-value is invalid",
    });
    const result = await testCredential("cloudflare", client(() => Promise.reject(failure)), storedFilter(""), ["s3cr3t-value"]);
    expect(result).toEqual({
      status: "failed",
      message: "API authentication failed",
      details: { provider: "cloudflare", errorCode: "403", errorMessage: "token [redacted] is invalid" },
    });
    const odd = await testCredential("cloudflare", client(() => Promise.reject(new SyntaxError("Unexpected token s3cr3t-value"))), storedFilter(""), ["s3cr3t-value"]);
    expect(odd).toMatchObject({ status: "failed", details: { errorMessage: "Unexpected token [redacted]" } });
  });

  it("answers failed when the provider is still busy at the deadline, so the API never outlives its gateway", async () => {
    const neverAnswers = client(() => new Promise(() => undefined));
    const result = await testCredential("digitalocean", neverAnswers, storedFilter(""), [], 50);
    expect(result).toEqual({
      status: "failed",
      message: "Provider API timed out",
      details: { provider: "digitalocean", errorCode: "timeout", errorMessage: "The provider did not answer within 0.05 s" },
    });
  });

  it("warns about zones of the filter the credential cannot see; delegated sub-zones count", async () => {
    const zones = client(() => Promise.resolve({ testPerformed: "zone_list", accessibleZones: ["dev.example.com", "shop.com"] }));
    expect((await testCredential("powerdns", zones, storedFilter("*.dev.example.com,shop.com"), [])).status).toBe("success");
    const warning = await testCredential("powerdns", zones, storedFilter("example.com,*.shop.com"), []);
    expect(warning.details.missingZones).toEqual(["example.com"]);
  });
});

describe("stored zone filters", () => {
  it("are read by their syntax: a pattern today's input rules reject as a public suffix still parses", () => {
    const filter = storedFilter("example.org,co.uk");
    expect(filter).toEqual({
      kind: "patterns",
      patterns: [
        { type: "exact", zone: "example.org", text: "example.org", specificity: 2 },
        { type: "exact", zone: "co.uk", text: "co.uk", specificity: 2 },
      ],
    });
    expect(claimsOf({ enabled: true, zoneFilter: "*.com" })).toEqual({ patterns: ["*.com"], catchAll: false });
  });

  it("that this code could never have written are still an error", () => {
    expect(() => storedFilter("a..example.com")).toThrow(/Stored zone filter 'a\.\.example\.com' is invalid/);
    expect(() => storedFilter("example.org,co.uk.")).toThrow(/trailing dot/);
    expect(() => storedFilter("example.org,CO.UK")).toThrow(/not in canonical form/);
  });
});

describe("secret redaction", () => {
  const secret = "s3cr3t/value+with=symbols ~(yes)!";

  it("replaces the value as is, URL-encoded, and base64-encoded in any alignment and alphabet", () => {
    for (const context of ["", "u:", "ab:", "Bearer "]) {
      const standard = Buffer.from(context + secret).toString("base64");
      const urlSafe = Buffer.from(context + secret).toString("base64url");
      const formEncoded = new URLSearchParams({ key: secret }).toString().slice("key=".length);
      for (const echoed of [secret, encodeURIComponent(secret), encodeURIComponent(secret).toLowerCase(), formEncoded, standard, urlSafe]) {
        const redacted = redactSecrets(`upstream said: ${echoed}.`, [secret]);
        expect(redacted).toContain("[redacted]");
        // At most the two characters that mix in neighbouring bytes are left at each end.
        expect(redacted.length).toBeLessThanOrEqual("upstream said: [redacted].".length + 4 + context.length * 2);
      }
    }
  });

  it("leaves text without the secret alone, and replaces short values where they stand as words", () => {
    expect(redactSecrets("nothing to see", [secret])).toBe("nothing to see");
    expect(redactSecrets("pin 123 given", ["123"])).toBe("pin [redacted] given");
    // Issue 8 §5: a one-letter key leaves the words it happens to occur in readable...
    expect(redactSecrets("MissingAuthenticationToken", ["k"])).toBe("MissingAuthenticationToken");
    expect(redactSecrets("key abcdef, letter e", ["abcdef", "e"])).toBe("key [redacted], letter [redacted]");
    // ...and is still replaced wherever it is a word: between punctuation, quoted, at either end.
    expect(redactSecrets('k: bad key "k" (k)-k', ["k"])).toBe('[redacted]: bad key "[redacted]" ([redacted])-[redacted]');
    expect(redactSecrets("x-api-key=p4ss; Invalid key p4ss", ["p4ss"])).toBe("x-api-key=[redacted]; Invalid key [redacted]");
  });

  it("replaces a secret of eight characters or more wherever it occurs, even inside a word", () => {
    expect(redactSecrets("tokenABCDEFGHsuffix", ["ABCDEFGH"])).toBe("token[redacted]suffix");
    expect(redactSecrets("a k and k3y-0123456789 here", ["k", "k3y-0123456789"])).toBe("a [redacted] and [redacted] here");
    expect(redactSecrets("regex chars a.b*c(d)/e-f[g]", ["a.b*c(d)/e-f[g]"])).toBe("regex chars [redacted]");
  });
});

describe("zone filters are parsed once", () => {
  it("hands every reader of one stored filter the same parsed form, seeded by the input's parse", () => {
    const typed = canonicalFilter("Shop.Example-Parse.com,*.Api.Example-Parse.com");
    expect(typed.text).toBe("shop.example-parse.com,*.api.example-parse.com");
    expect(storedFilter(typed.text)).toBe(typed.filter);
    expect(storedFilter(typed.text)).toBe(storedFilter(typed.text));
    // Shared, so nobody may change it under the others.
    expect(Object.isFrozen(typed.filter)).toBe(true);
    expect(() => canonicalFilter("a.com, b.com")).toThrow("Zone filter cannot contain spaces");
  });
});
