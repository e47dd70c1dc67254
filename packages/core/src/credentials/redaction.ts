/**
 * Removes secret values from text that came from outside (a provider's error message). Upstreams
 * echo what they were sent in more than one spelling: as is, URL-encoded (a key sent in a query
 * string or form, in either escaping), or base64-encoded (an `Authorization: Basic` pair, a
 * signed blob). Every one of those spellings is replaced.
 *
 * A spelling of WHOLE_WORD_BELOW characters or more is replaced wherever it occurs. A shorter
 * one only where it stands as a word of its own (no letter or digit touching it): replacing a
 * key `k` inside `MissingAuthenticationToken` would make every message unreadable and hide
 * nothing, since such a short run of characters occurs anywhere and names no secret.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  const forms = [...new Set(secrets.filter((s) => s.length > 0).flatMap(spellings))].sort(
    (a, b) => b.length - a.length,
  );
  if (forms.length === 0) return text;
  const pattern = (form: string) =>
    form.length >= WHOLE_WORD_BELOW ? escapeRegExp(form) : `(?<![\\p{L}\\p{N}])${escapeRegExp(form)}(?![\\p{L}\\p{N}])`;
  // One pass, longest spelling first: a replacement is never searched again, so a short value
  // cannot eat into an earlier "[redacted]".
  return text.replace(new RegExp(forms.map(pattern).join("|"), "gu"), "[redacted]");
}

/** Spellings shorter than this are replaced only as whole words (see redactSecrets). */
export const WHOLE_WORD_BELOW = 8;

function escapeRegExp(text: string): string {
  // Escapes that are valid with the `u` flag too (no identity escapes of other characters).
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * Encoded forms of shorter values would be a couple of characters that occur anywhere; the value
 * itself is still replaced, however short.
 */
const MIN_SECRET_LENGTH = 4;

function spellings(secret: string): string[] {
  if (secret.length < MIN_SECRET_LENGTH) return [secret];
  const encoded = encodeURIComponent(secret);
  // A form body or query string built with URLSearchParams also escapes ~ ! ' ( ) and writes + for a space.
  const formEncoded = new URLSearchParams({ v: secret }).toString().slice("v=".length);
  const lowerEscapes = (text: string) => text.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
  return [secret, encoded, lowerEscapes(encoded), formEncoded, lowerEscapes(formEncoded), ...base64Cores(secret)];
}

/**
 * The part of a base64 encoding that depends on the secret alone, at each of the three byte
 * alignments it can have inside a larger encoded buffer (`user:secret`, `Bearer secret`, …):
 * characters that mix in neighbouring bytes differ from one context to the next, the core does
 * not. Both alphabets (standard and URL-safe).
 */
function base64Cores(secret: string): string[] {
  const bytes = Buffer.from(secret, "utf8");
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64");
    // Character i holds bits [6i, 6i + 6); keep those that lie wholly within the secret's bits.
    const core = encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6));
    if (core.length >= MIN_SECRET_LENGTH) cores.push(core, core.replace(/\+/g, "-").replace(/\//g, "_"));
  }
  return cores;
}
