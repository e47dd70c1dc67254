import ipaddr from "ipaddr.js";
import { normaliseUpstreamName } from "@charon/zones";
import { ValidationError } from "../errors.js";

/**
 * What a proxy host's fields become in nginx or Caddy configuration: the upstream a request is
 * forwarded to (`forward_host`, `forward_path`) and a location's `path`. Each is checked here so
 * that whatever the API stores, a proxy can load, and stored in one canonical form.
 */

/**
 * `forward_host` in canonical form: an IPv4 address in dotted decimal, an IPv6 address in RFC 5952
 * form without brackets (`[2001:DB8::20]` → `2001:db8::20`; IPv4-mapped as `::ffff:1.2.3.4`), or a
 * host name by the zone-matching spec §1 lower-cased to A-labels, '_' allowed (see
 * docs/decisions). A port or a path inside it is a ValidationError that says which field to use.
 */
export function canonicalForwardHost(field: string, input: string): string {
  const fail = (reason: string) => new ValidationError(`${field}: '${input}' ${reason}`);
  if (input === "") throw fail("is empty: give a host name or an IP address");
  if (input.includes("/")) throw fail("holds a path: give the host alone and the path in forward_path");
  const bracketed = /^\[([^[\]]*)\](:.*)?$/.exec(input);
  if (bracketed) {
    if (bracketed[2] !== undefined) throw fail("holds a port: give the address alone and the port in forward_port");
    return canonicalIPv6(bracketed[1]!, fail);
  }
  if (/[[\]]/.test(input)) throw fail("is not an IPv6 address: write it as 2001:db8::1 or [2001:db8::1]");
  const colons = input.split(":").length - 1;
  if (colons === 1) throw fail("holds a port: give the host alone and the port in forward_port");
  if (colons > 1) return canonicalIPv6(input, fail);
  // As browsers read hosts (WHATWG URL): a name whose last label is a number is an IPv4 address.
  const labels = input.replace(/\.$/, "").split(".");
  if (/^(?:0x[0-9a-f]*|[0-9]+)$/i.test(labels[labels.length - 1] ?? "")) {
    if (!ipaddr.IPv4.isValidFourPartDecimal(input)) {
      throw fail("is not an IPv4 address: write four numbers from 0 to 255 without leading zeros (10.0.0.5)");
    }
    return ipaddr.IPv4.parse(input).toString();
  }
  const name = normaliseUpstreamName(input);
  if (!name.ok) throw fail(`is not a valid host name: it ${name.error.reason}`);
  return name.value;
}

function canonicalIPv6(text: string, fail: (reason: string) => ValidationError): string {
  if (text.includes("%")) throw fail("has a zone index (%…): nginx and Caddy cannot forward to one");
  if (!ipaddr.IPv6.isValid(text)) throw fail("is not a valid IPv6 address");
  const address = ipaddr.IPv6.parse(text);
  // RFC 5952 §5: an IPv4-mapped address keeps its IPv4 part in dotted decimal.
  if (address.isIPv4MappedAddress()) return `::ffff:${address.toIPv4Address().toString()}`;
  return address.toRFC5952String();
}

/**
 * RFC 3986 path characters less those nginx's configuration syntax gives a meaning (`;` ends a
 * directive, quotes open a string, `$` starts a variable in `proxy_pass`), with well-formed
 * percent escapes. No query: the proxy forwards the request's own.
 */
export const FORWARD_PATH = /^(?:\/(?:[A-Za-z0-9\-._~!&()*+,=:@]|%[0-9A-Fa-f]{2})*)*$/;

/** `forward_path`: "" (none) or a URI path prefix such as `/zabbix/`. */
export function checkForwardPath(field: string, input: string): string {
  if (FORWARD_PATH.test(input)) return input;
  throw new ValidationError(
    `${field}: '${input}' is not a URI path: start with '/', use letters, digits and - . _ ~ ! & ( ) * + , = : @ / or %XX escapes`,
  );
}

/**
 * NPM's form of a location's upstream: `192.168.100.12/zabbix/` is the host `192.168.100.12` and
 * the path `/zabbix/` (Nginx Proxy Manager splits it the same way). Given both a path inside
 * `forward_host` and a `forward_path`, the request is ambiguous.
 */
export function splitLocationUpstream(
  field: string,
  forwardHost: string,
  forwardPath: string | undefined,
): { forward_host: string; forward_path: string } {
  const slash = forwardHost.indexOf("/");
  if (slash < 0) {
    return { forward_host: canonicalForwardHost(`${field}.forward_host`, forwardHost), forward_path: checkForwardPath(`${field}.forward_path`, forwardPath ?? "") };
  }
  if (forwardPath !== undefined && forwardPath !== "") {
    throw new ValidationError(`${field}.forward_host: holds a path and forward_path is given too: give the path in one of them`);
  }
  return {
    forward_host: canonicalForwardHost(`${field}.forward_host`, forwardHost.slice(0, slash)),
    forward_path: checkForwardPath(`${field}.forward_host`, forwardHost.slice(slash)),
  };
}

// nginx's location modifiers (https://nginx.org/en/docs/http/ngx_http_core_module.html#location).
const MODIFIERS = ["=", "^~", "~*", "~"] as const;
// White space, braces, ';', quotes and '#' would end or change the `location` directive; control
// characters have no place in configuration.
const FORBIDDEN_IN_PATH = /[\s{};"'`#\p{Cc}]/u;

/**
 * A location's `path` in canonical form: a URI prefix (`/api/`), or a modifier and its pattern
 * separated by one space (`= /exact`, `^~ /static/`, `~ \.php$`, `~* \.(png|jpe?g)$`). Returns the
 * path and the key under which nginx would call two locations duplicates (`/x` and `^~ /x` are one
 * prefix location to nginx).
 */
export function canonicalLocationPath(field: string, input: string): { path: string; key: string } {
  const fail = (reason: string) => new ValidationError(`${field}: '${input}' ${reason}`);
  const modifier = MODIFIERS.find((m) => input.startsWith(`${m} `) || (input.startsWith(m) && !input.startsWith("/")));
  const pattern = modifier === undefined ? input : input.slice(modifier.length).replace(/^ /, "");
  const bad = FORBIDDEN_IN_PATH.exec(pattern);
  if (bad) {
    const shown = bad[0] >= " " && bad[0] <= "~" ? `'${bad[0]}'` : `U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
    throw fail(`contains ${shown}: a location path is a URI prefix or a modifier (=, ^~, ~, ~*), one space and a pattern, without white space, braces, ';', quotes or '#'`);
  }
  if (pattern === "") throw fail("has no pattern after its modifier");
  const regex = modifier === "~" || modifier === "~*";
  if (!regex && !pattern.startsWith("/")) throw fail("must start with '/' (or with a modifier: =, ^~, ~, ~*)");
  if (!regex && pattern.includes("\\")) throw fail("contains '\\': a URI prefix has no escapes");
  if (regex && pattern.endsWith("\\")) throw fail("ends in '\\', which would escape what follows it in the configuration");
  const unbalanced = regex ? unbalancedGroup(pattern) : null;
  if (unbalanced !== null) throw fail(`is not a regular expression nginx can compile: ${unbalanced}`);
  const path = modifier === undefined ? pattern : `${modifier} ${pattern}`;
  const key = modifier === undefined || modifier === "^~" ? `prefix ${pattern}` : path;
  return { path, key };
}

/**
 * The one mistake in a PCRE pattern that is cheap to see without PCRE: a group or a character class
 * left open or closed twice (nginx then refuses the whole configuration: "missing closing
 * parenthesis"). Other syntax is PCRE's and is left to the proxy's configuration test.
 */
function unbalancedGroup(pattern: string): string | null {
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      i++;
    } else if (c === "[") {
      // A class runs to the first unescaped ']' that is not its first character (`[]a]`, `[^]a]`).
      let j = i + 1;
      if (pattern[j] === "^") j++;
      if (pattern[j] === "]") j++;
      while (j < pattern.length && pattern[j] !== "]") j += pattern[j] === "\\" ? 2 : 1;
      if (j >= pattern.length) return "a '[' is never closed";
      i = j;
    } else if (c === "(") {
      depth++;
    } else if (c === ")") {
      if (depth === 0) return "a ')' closes no group";
      depth--;
    }
  }
  return depth > 0 ? "a '(' is never closed" : null;
}
