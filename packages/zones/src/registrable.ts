import { parse, getDomain } from "tldts";

// The spec names the ICANN section of the Public Suffix List. Its private section lists hosting
// services' namespaces (github.io, …), which are customers' zones here, not public suffixes.
// Names reaching these functions are normalised already, so tldts need not extract or check them.
const ICANN_ONLY = {
  allowIcannDomains: true,
  allowPrivateDomains: false,
  extractHostname: false,
  validateHostname: false,
} as const;

/**
 * Spec §5: the registrable domain of a normalised name (`shop.example.co.uk` → `example.co.uk`),
 * used in messages and as the fallback zone. Null for a public suffix or an IP address.
 */
export function registrableDomain(name: string): string | null {
  const host = name.startsWith("*.") ? name.slice(2) : name;
  return getDomain(host, ICANN_ONLY);
}

/** Whether a normalised name is itself a suffix on the ICANN list (`com`, `co.uk`, `foo.ck`). */
export function isPublicSuffix(name: string): boolean {
  const { publicSuffix, isIcann } = parse(name, ICANN_ONLY);
  return isIcann === true && publicSuffix === name;
}
