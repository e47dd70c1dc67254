/**
 * The browser's `node:url` for `@charon/zones` (bundled by `scripts/build.ts`): `domainToASCII`,
 * the one function the zones package uses, by the WHATWG URL host parser that Node's own
 * `domainToASCII` also applies (UTS-46, non-strict), so a zone filter checked as it is typed gets
 * the verdict the server gives. Like Node's, it answers "" for a name it cannot map. The zones
 * package refuses every ASCII character but letters, digits, '.' and '-' before asking, so the
 * two need not agree on text holding ':', '@' or '/' (which a URL reads as port, user or path).
 */
export function domainToASCII(domain: string): string {
  try {
    return new URL(`http://${domain}`).hostname;
  } catch {
    return "";
  }
}
