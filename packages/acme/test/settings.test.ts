/**
 * `CHARON_ACME_DIRECTORY_URL`'s names are the directories acme-client knows Let's Encrypt by (the
 * settings spell them out so that reading them loads no client), and bad settings are refused
 * with the variable's name.
 */
import { describe, expect, it } from "vitest";
import acme from "acme-client";
import { readAcmeSettings } from "@charon/acme";

describe("readAcmeSettings", () => {
  it("names Let's Encrypt's directories as acme-client does, production by default", () => {
    expect(readAcmeSettings({}).directoryUrl).toBe(acme.directory.letsencrypt.production);
    expect(readAcmeSettings({ CHARON_ACME_DIRECTORY_URL: "letsencrypt" }).directoryUrl).toBe(acme.directory.letsencrypt.production);
    expect(readAcmeSettings({ CHARON_ACME_DIRECTORY_URL: "letsencrypt-staging" }).directoryUrl).toBe(acme.directory.letsencrypt.staging);
  });

  it("takes any https:// directory and refuses others, naming the variable", () => {
    expect(readAcmeSettings({ CHARON_ACME_DIRECTORY_URL: "https://ca.example/dir" }).directoryUrl).toBe("https://ca.example/dir");
    expect(() => readAcmeSettings({ CHARON_ACME_DIRECTORY_URL: "http://ca.example/dir" })).toThrow(/CHARON_ACME_DIRECTORY_URL/);
  });
});
