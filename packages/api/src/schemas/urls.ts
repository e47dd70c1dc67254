/** A DNS label as the patterns take it: letters and digits, single hyphens inside. */
const LABEL = "[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*";
/** The last label starts with a letter: the WHATWG URL parser reads a host whose last label is a number (`a.1`, `a.0x1`) as an IPv4 address, and refuses it. */
const HOST_NAME = `(?:${LABEL}\\.)*[A-Za-z](?:[A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)`;
const OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;
const PORT = "(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})";
const URL_CHARACTERS = "A-Za-z0-9._~!$&'()*+,;=:@%/-";

/**
 * A URL the server takes, as one pattern that is also the document's: every string it matches is
 * a URL of `scheme` that the WHATWG URL parser (Node's `new URL`) reads with that host, so the
 * document and the server agree. Hence its limits: host names of ASCII letters, digits and single
 * hyphens (no `--`: an `xn--` label must be valid Punycode) whose last label starts with a letter,
 * IPv4 addresses only where `ipv4`, ports 1–65535, a path and a query but no fragment or user name.
 */
export function urlPattern(scheme: "https" | "https?", { ipv4 }: { ipv4: boolean }): RegExp {
  const host = ipv4 ? `(?:${HOST_NAME}|${IPV4})` : HOST_NAME;
  return new RegExp(`^${scheme}://${host}(?::${PORT})?(?:/[${URL_CHARACTERS}]*)?(?:\\?[${URL_CHARACTERS}?]*)?$`);
}

/** What `urlPattern` allows, for a field's description. */
export const URL_RULE =
  "a host name (ASCII letters, digits, single hyphens; the last label starts with a letter), an optional port, path and query, no fragment";
