import { describe, expect, it } from "vitest";
import { ValidationError } from "@charon/core";
import {
  createDnsProviderClient,
  dnsProviderTypes,
  getDnsProviderType,
  normaliseCredentials,
  publicCredentialFields,
} from "@charon/dns";
import { quoteTxt, unquoteTxt } from "../src/names.js";
import { parseRetryAfter } from "../src/retry.js";

function validationMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).details;
  }
  throw new Error("expected a ValidationError");
}

describe("normaliseCredentials", () => {
  const cases: Array<{ type: string; api: Record<string, string>; env: Record<string, string> }> = [
    { type: "cloudflare", api: { api_token: "t0k3n" }, env: { CF_API_TOKEN: "t0k3n" } },
    {
      type: "cloudflare",
      api: { api_key: "k3y", email: "ops@example.com" },
      env: { CF_API_KEY: "k3y", CF_API_EMAIL: "ops@example.com" },
    },
    {
      type: "route53",
      api: { access_key_id: "AKIA1", secret_access_key: "s3cr3t", region: "eu-west-1", hosted_zone_id: "Z1" },
      env: { AWS_ACCESS_KEY_ID: "AKIA1", AWS_SECRET_ACCESS_KEY: "s3cr3t", AWS_REGION: "eu-west-1", AWS_HOSTED_ZONE_ID: "Z1" },
    },
    { type: "route53", api: { access_key_id: "AKIA1", secret_access_key: "s3cr3t" }, env: { AWS_ACCESS_KEY_ID: "AKIA1", AWS_SECRET_ACCESS_KEY: "s3cr3t" } },
    { type: "digitalocean", api: { api_token: "dop_v1_x" }, env: { DO_AUTH_TOKEN: "dop_v1_x" } },
    {
      type: "powerdns",
      api: { api_url: "http://pdns:8081", api_key: "k", server_id: "localhost" },
      env: { PDNS_API_URL: "http://pdns:8081", PDNS_API_KEY: "k", PDNS_SERVER_ID: "localhost" },
    },
  ];

  it.each(cases)("$type accepts the API names and the env names alike ($api)", ({ type, api, env }) => {
    expect(normaliseCredentials(type, api)).toEqual(api);
    expect(normaliseCredentials(type, env)).toEqual(api);
  });

  it("accepts both spellings mixed across fields, and trims values", () => {
    expect(normaliseCredentials("cloudflare", { CF_API_KEY: " k3y\n", email: "ops@example.com" })).toEqual({
      api_key: "k3y",
      email: "ops@example.com",
    });
  });

  it.each([
    ["cloudflare", { api_token: "t", foo: "x" }, "Unknown credential field 'foo' for provider 'cloudflare'"],
    ["route53", { access_key_id: "a", secret_access_key: "s", AWS_SESSION_TOKEN: "x" }, "Unknown credential field 'AWS_SESSION_TOKEN' for provider 'route53'"],
    ["digitalocean", { DO_API_TOKEN: "x" }, "Unknown credential field 'DO_API_TOKEN' for provider 'digitalocean'"],
    ["powerdns", { api_url: "http://p", api_key: "k", zone: "x" }, "Unknown credential field 'zone' for provider 'powerdns'"],
  ])("%s names an unknown field", (type, input, message) => {
    expect(validationMessage(() => normaliseCredentials(type, input))).toBe(message);
  });

  it.each([
    ["cloudflare", {}, "Cloudflare needs api_token, or api_key and email"],
    ["cloudflare", { api_key: "k" }, "Cloudflare needs api_token, or api_key and email"],
    ["cloudflare", { CF_API_EMAIL: "ops@example.com" }, "Cloudflare needs api_token, or api_key and email"],
    ["route53", { access_key_id: "a" }, "Route 53 needs access_key_id and secret_access_key"],
    ["route53", { region: "us-east-1" }, "Route 53 needs access_key_id and secret_access_key"],
    ["digitalocean", {}, "DigitalOcean needs api_token"],
    ["powerdns", { api_key: "k" }, "PowerDNS needs api_url and api_key"],
  ])("%s says what is missing", (type, input, message) => {
    expect(validationMessage(() => normaliseCredentials(type, input))).toBe(message);
  });

  it("refuses empty and non-string values, naming the field", () => {
    expect(validationMessage(() => normaliseCredentials("digitalocean", { api_token: "  " }))).toBe(
      "Credential field 'api_token' must not be empty",
    );
    expect(validationMessage(() => normaliseCredentials("cloudflare", { CF_API_TOKEN: "" }))).toBe(
      "Credential field 'CF_API_TOKEN' must not be empty",
    );
    expect(validationMessage(() => normaliseCredentials("digitalocean", { api_token: 42 }))).toBe(
      "Credential field 'api_token' must be a string",
    );
    expect(validationMessage(() => normaliseCredentials("digitalocean", "token"))).toBe(
      "Credentials for provider 'digitalocean' must be an object",
    );
  });

  it("refuses a field given in both spellings, and a mix of credential sets", () => {
    expect(validationMessage(() => normaliseCredentials("cloudflare", { api_token: "a", CF_API_TOKEN: "b" }))).toBe(
      "Credential field 'api_token' is given twice ('api_token' and 'CF_API_TOKEN')",
    );
    expect(validationMessage(() => normaliseCredentials("cloudflare", { api_token: "t", api_key: "k", email: "e@x.io" }))).toBe(
      "Cloudflare takes api_token, or api_key and email, not a mix of them (got api_token, api_key, email)",
    );
    expect(validationMessage(() => normaliseCredentials("cloudflare", { api_token: "t", email: "e@x.io" }))).toBe(
      "Cloudflare takes api_token, or api_key and email, not a mix of them (got api_token, email)",
    );
  });

  it("refuses a PowerDNS api_url that is not http(s)", () => {
    expect(validationMessage(() => normaliseCredentials("powerdns", { api_url: "pdns:8081", api_key: "k" }))).toBe(
      "PowerDNS api_url must be an http:// or https:// URL",
    );
    expect(validationMessage(() => normaliseCredentials("powerdns", { api_url: "not a url", api_key: "k" }))).toBe(
      "PowerDNS api_url must be an http:// or https:// URL",
    );
  });

  it("never puts a value in a message", () => {
    const secret = "sup3r-s3cret-value";
    const messages = [
      validationMessage(() => normaliseCredentials("cloudflare", { api_token: secret, nope: secret })),
      validationMessage(() => normaliseCredentials("cloudflare", { api_key: secret })),
      validationMessage(() => normaliseCredentials("cloudflare", { api_token: secret, CF_API_TOKEN: secret })),
    ];
    for (const message of messages) expect(message).not.toContain(secret);
  });

  it("an unknown provider type lists the supported ones", () => {
    const message = "Unknown DNS provider type 'gandi'; supported types: cloudflare, route53, digitalocean, powerdns";
    expect(validationMessage(() => normaliseCredentials("gandi", { api_token: "x" }))).toBe(message);
    expect(validationMessage(() => getDnsProviderType("gandi"))).toBe(message);
    expect(validationMessage(() => createDnsProviderClient("gandi", {}))).toBe(message);
    expect(validationMessage(() => getDnsProviderType("__proto__"))).toMatch(/^Unknown DNS provider type '__proto__'/);
  });

  it("createDnsProviderClient validates credentials before building a client", () => {
    expect(validationMessage(() => createDnsProviderClient("route53", { AWS_ACCESS_KEY_ID: "a" }))).toBe(
      "Route 53 needs access_key_id and secret_access_key",
    );
  });
});

describe("descriptors", () => {
  it("describe every provider, each field with both spellings and whether it is secret", () => {
    expect(dnsProviderTypes.map((d) => d.type)).toEqual(["cloudflare", "route53", "digitalocean", "powerdns"]);
    const secrets = Object.fromEntries(
      dnsProviderTypes.map((d) => [d.type, d.fields.filter((f) => f.secret).map((f) => `${f.name}/${f.envName}`)]),
    );
    expect(secrets).toEqual({
      cloudflare: ["api_token/CF_API_TOKEN", "api_key/CF_API_KEY"],
      route53: ["access_key_id/AWS_ACCESS_KEY_ID", "secret_access_key/AWS_SECRET_ACCESS_KEY"],
      digitalocean: ["api_token/DO_AUTH_TOKEN"],
      powerdns: ["api_key/PDNS_API_KEY"],
    });
    for (const descriptor of dnsProviderTypes) {
      expect(descriptor.docsUrl).toMatch(/^https:\/\//);
      for (const set of descriptor.credentialSets) {
        for (const name of set) expect(descriptor.fields.map((f) => f.name)).toContain(name);
      }
      for (const field of descriptor.fields) {
        expect(field.required).toBe(descriptor.credentialSets.every((set) => set.includes(field.name)));
      }
    }
  });

  it("publicCredentialFields keeps only what may be shown", () => {
    expect(publicCredentialFields("cloudflare", { api_key: "k", email: "ops@example.com" })).toEqual({ email: "ops@example.com" });
    expect(
      publicCredentialFields("powerdns", { api_url: "http://pdns:8081", api_key: "k", server_id: "localhost" }),
    ).toEqual({ api_url: "http://pdns:8081", server_id: "localhost" });
    expect(publicCredentialFields("route53", { access_key_id: "a", secret_access_key: "s", region: "eu-west-1" })).toEqual({
      region: "eu-west-1",
    });
  });
});

describe("TXT values", () => {
  it("TXT values round-trip through zone-file quoting", () => {
    for (const value of ["abc", 'with "quotes"', "back\\slash", "v=spf1 -all"]) {
      expect(unquoteTxt(quoteTxt(value))).toBe(value);
    }
    expect(unquoteTxt('"part one" "part two"')).toBe("part onepart two");
    expect(unquoteTxt('"\\065BC"')).toBe("ABC");
    expect(unquoteTxt("unquoted")).toBe("unquoted");
  });

  it("Retry-After is read as seconds or as a date", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:10 GMT", Date.parse("2026-01-01T00:00:00Z"))).toBe(10_000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
