import { domainToASCII } from "node:url";
import type { NameError, NameErrorCode } from "./errors.js";
import { err, ok, type Result } from "./result.js";

const MAX_LABEL_OCTETS = 63;
const MAX_NAME_OCTETS = 253;
const WILDCARD_PREFIX = "*.";
const LABEL = /^[a-z0-9-]+$/;
const ALLOWED_ASCII = /[a-z0-9.-]/i;
// Host names of machines (not of certificates) may hold '_' (Docker Compose container names).
const UPSTREAM_LABEL = /^[a-z0-9_-]+$/;
const UPSTREAM_ASCII = /[a-z0-9._-]/i;
// Non-ASCII text needs UTS-46 mapping; A-labels (labels starting `xn--`) need their Punycode
// checked. Nothing else goes to the URL host parser, which reads a name ending in a number as an
// IPv4 address and refuses it: so not `/\P{ASCII}/iu`, which with both flags matches 'S' and 'K'
// (they case-fold to U+017F and U+212A) and refused `Sa.0`, nor `xn--` inside a label (`0xn--0.0`).
// eslint-disable-next-line no-control-regex -- the ASCII range, not control characters, is meant
const NEEDS_IDNA = /[^\x00-\x7F]|(?:^|\.)xn--/i;

/** Why a name is invalid, worded to follow "Domain name 'x'" or "Zone filter pattern 'x'". */
export interface NameProblem {
  code: NameErrorCode;
  reason: string;
}

/**
 * Spec §1: the canonical form of a name to match (lower-case A-labels, no trailing dot, a
 * leading `*.` kept), or why it cannot be one.
 */
export function normaliseName(input: string): Result<string, NameError> {
  const trimmed = input.trim();
  const result = canonicalName(trimmed);
  if (result.ok) return result;
  const details =
    result.error.code === "empty_name" ? "Domain name is empty" : `Domain name '${trimmed}' ${result.error.reason}`;
  return err({ code: result.error.code, title: "Invalid domain name", details });
}

/**
 * The canonical form of the host name of a machine a proxy forwards to (an upstream): §1's rules
 * (lower-case A-labels, one trailing dot stripped, the label and length limits), except that a
 * label may hold '_' (internal names such as Docker Compose's `project_web_1` resolve through the
 * system resolver that nginx and Caddy use) and that a wildcard is no host. No trimming: an
 * upstream typed with spaces is refused. Whether the name is an IP address is the caller's test.
 */
export function normaliseUpstreamName(input: string): Result<string, NameProblem> {
  if (input.startsWith(WILDCARD_PREFIX)) {
    return err({ code: "misplaced_wildcard", reason: "is a wildcard: an upstream is one machine" });
  }
  return canonicalName(input, true);
}

/** normaliseName without the trimming and the wording, shared with zone filter patterns. */
export function canonicalName(text: string, underscores = false): Result<string, NameProblem> {
  if (text === "") return err({ code: "empty_name", reason: "is empty" });
  const { wildcard, base } = nameParts(text);
  if (base.includes("*")) {
    return err({ code: "misplaced_wildcard", reason: "has a misplaced '*': use '*.' at the start" });
  }
  // ASCII maps to itself under UTS-46, so a bad ASCII character can be named before conversion.
  const allowed = underscores ? UPSTREAM_ASCII : ALLOWED_ASCII;
  const badAscii = [...base].find((c) => c < "\x80" && !allowed.test(c));
  if (badAscii !== undefined) return err(invalidCharacter(badAscii, underscores));
  const ascii = NEEDS_IDNA.test(base) ? idnaToAscii(base) : base.toLowerCase();
  if (ascii === null) {
    return err({
      code: "invalid_idna",
      reason:
        "is not a valid internationalised domain name (UTS-46): check its 'xn--' labels, joiner characters and right-to-left text",
    });
  }
  for (const label of ascii.split(".")) {
    const problem = labelProblem(label, underscores);
    if (problem !== null) return err(problem);
  }
  const name = wildcard ? WILDCARD_PREFIX + ascii : ascii;
  if (name.length > MAX_NAME_OCTETS) {
    const form = ascii === base.toLowerCase() ? "" : " in its ASCII (IDNA) form";
    return err({
      code: "name_too_long",
      reason: `is ${name.length} octets long${form}; the limit is ${MAX_NAME_OCTETS}`,
    });
  }
  return ok(name);
}

/**
 * A host name from outside (a DNS provider's zone list, a certificate) in the form normaliseName
 * gives, without judging it: providers may report zones such as `_acme-challenge.example.com`.
 * Null when it cannot be converted to ASCII at all.
 */
export function foldHostName(text: string): string | null {
  const { wildcard, base } = nameParts(text.trim());
  const ascii = NEEDS_IDNA.test(base) ? idnaToAscii(base) : base.toLowerCase();
  if (ascii === null) return null;
  return wildcard ? WILDCARD_PREFIX + ascii : ascii;
}

// The full stops UTS-46 maps to '.': a name typed with an East Asian keyboard may end in one.
const FULL_STOPS = new Set([".", "\u3002", "\uff0e", "\uff61"]);

/** Whether `text` ends in a full stop: the root, written out. */
export function hasRootDot(text: string): boolean {
  return FULL_STOPS.has(text.slice(-1));
}

/** A name less one trailing full stop (the root), split into its leading `*.` and the rest. */
function nameParts(text: string): { wildcard: boolean; base: string } {
  const unrooted = hasRootDot(text) ? text.slice(0, -1) : text;
  const wildcard = unrooted.startsWith(WILDCARD_PREFIX);
  return { wildcard, base: wildcard ? unrooted.slice(WILDCARD_PREFIX.length) : unrooted };
}

function idnaToAscii(text: string): string | null {
  // Node's URL host parser: UTS-46 exactly as the WHATWG URL standard (and so every browser)
  // applies it, non-strict: hyphens, STD3 characters and lengths are checked by the caller, so
  // that each mistake gets its own message. It answers "" for what it cannot map.
  const ascii = domainToASCII(text);
  return ascii === "" ? null : ascii;
}

function labelProblem(label: string, underscores: boolean): NameProblem | null {
  if (label === "") return { code: "empty_label", reason: "has an empty label" };
  const pattern = underscores ? UPSTREAM_LABEL : LABEL;
  if (!pattern.test(label)) {
    const bad = [...label].find((c) => !pattern.test(c)) ?? label;
    return invalidCharacter(bad, underscores);
  }
  if (label.startsWith("-") || label.endsWith("-")) {
    const edge = label.startsWith("-") ? "starts" : "ends";
    return { code: "hyphen_at_label_edge", reason: `has a label that ${edge} with '-' ('${label}')` };
  }
  if (label.length > MAX_LABEL_OCTETS) {
    return {
      code: "label_too_long",
      reason: `has a label of ${label.length} octets ('${label}'); the limit is ${MAX_LABEL_OCTETS}`,
    };
  }
  return null;
}

function invalidCharacter(char: string, underscores = false): NameProblem {
  const printable = char >= " " && char <= "~";
  const shown = printable ? `'${char}'` : `U+${char.codePointAt(0)?.toString(16).toUpperCase().padStart(4, "0")}`;
  const allowed = underscores ? "letters, digits, hyphens and underscores" : "letters, digits and hyphens";
  return {
    code: "invalid_character",
    reason: `contains ${shown}: only ${allowed} are allowed`,
  };
}
