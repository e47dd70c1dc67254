import { z } from "@hono/zod-openapi";
import { singleLine } from "./strings.js";

/** Ids and other integers in paths and queries have at most 15 digits (below 2^53, exact in JSON). */
const MAX_DIGITS = 15;
export const MAX_ID = 10 ** MAX_DIGITS - 1;
const DECIMAL = new RegExp(`^(0|[1-9][0-9]{0,${MAX_DIGITS - 1}})$`);
const POSITIVE_DECIMAL = new RegExp(`^[1-9][0-9]{0,${MAX_DIGITS - 1}}$`);

/**
 * The one parser of integers in paths and queries: plain decimal digits only, so `0x10`, `1e2`,
 * `+5`, `010` or ` 5` are a 400 naming the parameter and what was given, never read as 16 or
 * 100; then the range. The document says the same (`type: integer`, `minimum`, `maximum`).
 */
function decimalParameter(
  name: string,
  where: "path" | "query",
  range: { min: number; max: number },
  notDecimal: (input: string) => string,
  openapi: { description?: string; example?: number; default?: number } = {},
) {
  return z
    .string()
    .regex(range.min > 0 ? POSITIVE_DECIMAL : DECIMAL, { error: (issue) => notDecimal(String(issue.input)) })
    .transform(Number)
    .pipe(z.number().min(range.min).max(range.max))
    .openapi({ param: { name, in: where }, type: "integer", minimum: range.min, maximum: range.max, ...openapi });
}

/**
 * A resource id in a path or query: a positive integer in plain decimal (api-conventions.md).
 * A malformed one is a 400 that names the parameter and what was given ("credentialId: 'abc' is
 * not a valid ID …"), never a 404 or a 500.
 */
export const idParameter = (name: string, where: "path" | "query", example: number) =>
  decimalParameter(name, where, { min: 1, max: MAX_ID }, (input) => `'${input}' is not a valid ID: IDs are positive integers`, { example });

/** An integer query parameter (a page size, a count) within `min`–`max`, `fallback` when absent. */
export const integerQuery = (name: string, range: { min: number; max: number }, fallback: number, description: string) =>
  decimalParameter(name, "query", range, (input) => `'${input}' is not a whole number from ${range.min} to ${range.max} in plain decimal digits`, {
    description,
    default: fallback,
  })
    .optional()
    .default(fallback);

export const IdParamsSchema = z.object({ id: idParameter("id", "path", 1) });

/**
 * A label of zone-matching.md §1 in ASCII: 1–63 characters of `edge` and hyphens, starting with
 * `first`, no hyphen at either end, and not `--` in the third and fourth places (`xn--…` is an
 * A-label, whose Punycode the server checks). Written with counted repeats and no look-ahead, so
 * that every regex engine a generated client uses reads it the same way.
 */
function dnsLabel(first: string, edge: string): string {
  const inner = `[${edge}-]`;
  const end = `[${edge}]`;
  return `${first}(?:${inner}?${end})?|${first}${inner}(?:${inner}${end}(?:${inner}{0,58}${end})?|${end}-${inner}{0,58}${end})`;
}
const DOMAIN_LABEL = dnsLabel("[A-Za-z0-9]", "A-Za-z0-9");

const UPSTREAM_LABEL = dnsLabel("[A-Za-z0-9_]", "A-Za-z0-9_");
/** The last label of an upstream name starts with a letter or '_': one that is a number makes the name an IPv4 address. */
const UPSTREAM_LAST_LABEL = dnsLabel("[A-Za-z_]", "A-Za-z0-9_");
const OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
const H16 = "[0-9A-Fa-f]{1,4}";
/** RFC 4291 §2.2 text forms (without an embedded IPv4 part or a zone index). */
const IPV6 = [
  `(?:${H16}:){7}${H16}`,
  `(?:${H16}:){1,7}:`,
  `(?:${H16}:){1,6}:${H16}`,
  ...[2, 3, 4, 5, 6].map((tail) => `(?:${H16}:){1,${7 - tail}}(?::${H16}){1,${tail}}`),
  `${H16}:(?::${H16}){1,6}`,
  `:(?:(?::${H16}){1,7}|:)`,
].join("|");

/**
 * `forward_host` as the document states it: an upstream host name (§1 with '_', see decision
 * 0015), an IPv4 address in dotted decimal, or an IPv6 address, bracketed or not. Every match is
 * one `canonicalForwardHost` (core) takes.
 */
export const FORWARD_HOST_DOCUMENT = {
  pattern: `^(?:(?:(?:${UPSTREAM_LABEL})\\.)*(?:${UPSTREAM_LAST_LABEL})\\.?|${OCTET}(?:\\.${OCTET}){3}|${IPV6}|\\[(?:${IPV6})\\])$`,
  maxLength: 253,
};
const DOMAIN_NAME_PATTERN = `^(?:\\*\\.)?(?:(?:${DOMAIN_LABEL})\\.)*(?:${DOMAIN_LABEL})\\.?$`;
/**
 * A zone filter (zone-matching.md §2) as a pattern: empty (the catch-all), `__deprecated__`, or
 * 1–40 comma-separated `name` / `*.name` patterns without white space or a trailing dot. What no
 * regular expression states stays in the description: a public suffix (the ICANN list), the same
 * pattern twice, a pattern over 253 octets.
 */
const ZONE_PATTERN = `(?:\\*\\.)?(?:(?:${DOMAIN_LABEL})\\.)*(?:${DOMAIN_LABEL})`;
export const ZONE_FILTER_DOCUMENT = {
  pattern: `^(?:__deprecated__|${ZONE_PATTERN}(?:,${ZONE_PATTERN}){0,39})?$`,
  description:
    "Comma-separated patterns (`example.com`, `*.example.com`), no white space; empty is the catch-all, `__deprecated__` alone matches nothing. " +
    "Beyond the pattern: no public suffix (`com`, `co.uk`), no pattern twice, each at most 253 octets (400 naming the pattern); " +
    "a pattern another enabled credential of the provider has is a 409.",
};

export const DOMAIN_NAME_DOCUMENT = {
  pattern: DOMAIN_NAME_PATTERN,
  maxLength: 253,
  description:
    "A domain name (zone-matching.md §1): labels of letters, digits and inner hyphens, at most 63 octets each and 253 in all, " +
    "an optional leading `*.` and trailing dot; compared in lower case. Unicode names are taken too and converted to A-labels " +
    "(IDNA/UTS-46: `bücher.example` is `xn--bcher-kva.example`); the pattern states the ASCII form, since which code points " +
    "UTS-46 allows and how long their Punycode is are beyond a regular expression. A list naming one domain twice, in any form, keeps it once.",
};

/**
 * A name as the zones library checks it; the service normalises and reports problems (its
 * messages name the label and the rule). The document states the rule as a pattern.
 */
export const DomainNameSchema = singleLine(253).min(1).openapi({ ...DOMAIN_NAME_DOCUMENT, example: "app.example.com" });

/** What a delete answers: the documents' status table has 200, so it says what it removed. */
export const DeletedSchema = z
  .object({ id: z.number().int(), deleted: z.literal(true) })
  .openapi("Deleted");

export const jsonBody = <T extends z.ZodType>(schema: T, description = "JSON body") => ({
  required: true,
  description,
  content: { "application/json": { schema } },
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const NEXT_CURSOR = "X-Next-Cursor";

/**
 * A page's cursor as the API hands it out: the position, a dot, and the server's signature of
 * it (`packages/aws/src/dynamodb/cursor.ts`). Another form is a 400 here; a well-formed one that
 * was altered or belongs to another listing is the listing's 400 `Invalid cursor`.
 */
export const CURSOR_PATTERN = "^[A-Za-z0-9_-]{1,2000}\\.[A-Za-z0-9_-]{22}$";
export const cursorParameter = (description: string) =>
  z
    .string()
    .max(2048)
    .regex(new RegExp(CURSOR_PATTERN), "is not a cursor this API returned; start again without it")
    .optional()
    .openapi({ description, pattern: CURSOR_PATTERN });

/**
 * `?limit&cursor` of a listing whose body is the documents' plain array: the cursor of the next
 * page travels in the `X-Next-Cursor` header, absent on the last page.
 */
export const PageQuerySchema = z.strictObject({
  limit: integerQuery("limit", { min: 1, max: 500 }, 100, "Items per page"),
  cursor: cursorParameter(`\`${NEXT_CURSOR}\` of the previous page`),
});

export const PAGE_DESCRIPTION = `Lowest id first, \`limit\` at a time (100 unless given). When more remain, the \`${NEXT_CURSOR}\` header carries the cursor of the next page.`;

/** A plain-array page: `jsonResponse` with the `X-Next-Cursor` header documented. */
export const pageResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  ...jsonResponse(schema, description),
  headers: {
    [NEXT_CURSOR]: { description: "The cursor of the next page; absent on the last page", schema: { type: "string" as const } },
  },
});

/** The headers that carry a page's cursor. */
export function nextPageHeaders(cursor: string | undefined): Record<string, string> {
  return cursor === undefined ? {} : { [NEXT_CURSOR]: cursor };
}

/**
 * A write body that also takes back the fields its resource's GET shows but a write does not
 * set (`id`, timestamps, embedded objects, statistics): accepted whatever their value and
 * ignored, so a GET body fed back as a POST or PUT (the GitOps round trip) is accepted. They are
 * `readOnly` in the document; the handler never sees them.
 */
export function acceptingReadOnly<T extends z.ZodObject>(
  schema: T,
  names: readonly string[],
  name: string,
  /** JSON Schema keywords stating rules between fields that the service checks (`anyOf`, …). */
  document: Record<string, unknown> = {},
) {
  return withReadOnly(schema, names)
    .openapi(name, document)
    .transform((body) => withoutReadOnly(body, names) as z.output<T>);
}

/**
 * `acceptingReadOnly` for a body with one shape per value of `discriminator` (`oneOf` with a
 * `discriminator` in the document; each variant a component named by its key in `variants`), so a
 * rule that ties one field to another is the document's too. `unknown` words the 400 for a
 * discriminator value no variant has, after `<discriminator>: `; a missing one "is required".
 */
export function acceptingReadOnlyUnion<const V extends Record<string, z.ZodObject>>(
  discriminator: string,
  variants: V,
  names: readonly string[],
  name: string,
  unknown: (given: unknown) => string,
) {
  const options = Object.entries(variants).map(([variant, schema]) => withReadOnly(schema, names).openapi(variant));
  return z
    .discriminatedUnion(discriminator, options as unknown as [z.ZodObject, ...z.ZodObject[]], {
      error: (issue) => {
        if (issue.code !== "invalid_union") return undefined;
        const given = (issue.input as Record<string, unknown> | undefined)?.[discriminator];
        return given === undefined ? "is required" : unknown(given);
      },
    })
    .openapi(name)
    .transform((body) => withoutReadOnly(body, names) as z.output<V[keyof V]>);
}

/** `schema` taking `names` too, each accepted whatever its value, `readOnly` in the document. */
function withReadOnly<T extends z.ZodObject>(schema: T, names: readonly string[]) {
  const readOnly = z.unknown().optional().openapi({ readOnly: true, description: "Read-only: accepted and ignored" });
  // A new object from the shape: extending the named schema would make it a part of itself.
  return z.strictObject({ ...schema.shape, ...Object.fromEntries(names.map((field) => [field, readOnly])) });
}

function withoutReadOnly(body: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const ignored = new Set(names);
  return Object.fromEntries(Object.entries(body).filter(([field]) => !ignored.has(field)));
}
