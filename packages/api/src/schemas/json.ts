import { z } from "@hono/zod-openapi";
import { SINGLE_LINE } from "./strings.js";

/**
 * Free-form JSON (a host's `meta`, a DNS provider's fields) held to what DynamoDB can store, so
 * that what the API accepts it can also keep: DynamoDB refuses empty map keys, numbers beyond 38
 * digits of precision or outside 1E-130..9.99E+125, and documents nested deeper than 32 levels
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html). The caps
 * below are tighter, leaving room for the item around the value, and are stated in the document.
 */
const FREE_FORM_LIMITS = {
  /** UTF-8 bytes of the value written as JSON. */
  bytes: 16 * 1024,
  /** Levels of objects and arrays, the field itself being level 1. */
  depth: 16,
  /** Characters of an object key. */
  keyLength: 255,
} as const;

/** The smallest magnitude of a fraction DynamoDB stores (1E-130). */
const MIN_FRACTION = 1e-130;

const RULES =
  `Free-form JSON, held to what storage keeps: at most ${FREE_FORM_LIMITS.bytes / 1024} KiB as JSON and ${FREE_FORM_LIMITS.depth} levels of nesting; ` +
  `keys of 1 to ${FREE_FORM_LIMITS.keyLength} characters; integers within ±(2^53 − 1), other numbers at least 1e-130 in magnitude; ` +
  "no control characters in keys or strings.";

/** Where a value breaks a rule (the path below the field) and why; null when it is storable. */
function storableProblem(value: unknown): { path: (string | number)[]; reason: string } | null {
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? "");
  if (bytes > FREE_FORM_LIMITS.bytes) {
    return { path: [], reason: `is ${bytes} bytes as JSON; the limit is ${FREE_FORM_LIMITS.bytes}` };
  }
  return problemIn(value, [], 1);
}

function problemIn(value: unknown, path: (string | number)[], depth: number): { path: (string | number)[]; reason: string } | null {
  if (typeof value === "number") {
    const reason = numberProblem(value);
    return reason === null ? null : { path, reason };
  }
  if (typeof value === "string") return SINGLE_LINE.test(value) ? null : { path, reason: "contains a control character" };
  if (value === null || typeof value !== "object") return null;
  if (depth > FREE_FORM_LIMITS.depth) return { path, reason: `is nested deeper than ${FREE_FORM_LIMITS.depth} levels` };
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, item] of entries) {
    if (typeof key === "string") {
      if (key === "") return { path, reason: "has an empty key, which storage cannot keep" };
      if (key.length > FREE_FORM_LIMITS.keyLength) return { path, reason: `has a key longer than ${FREE_FORM_LIMITS.keyLength} characters` };
      if (!SINGLE_LINE.test(key)) return { path, reason: "has a key with a control character" };
    }
    const problem = problemIn(item, [...path, key], depth + 1);
    if (problem) return problem;
  }
  return null;
}

function numberProblem(n: number): string | null {
  if (!Number.isFinite(n) || (Number.isInteger(n) && !Number.isSafeInteger(n))) {
    return "is a number beyond ±(2^53 − 1), which storage cannot keep exactly: send it as a string";
  }
  if (n !== 0 && Math.abs(n) < MIN_FRACTION) return "is a number closer to 0 than 1e-130, which storage cannot keep: send it as a string";
  return null;
}

/** The largest integer kept exactly, 2^53 − 1. */
const MAX_EXACT = Number.MAX_SAFE_INTEGER;

/** What the document says of an object key: 1 to 255 characters, no control character. */
const KEY_RULE = { type: "string" as const, minLength: 1, maxLength: FREE_FORM_LIMITS.keyLength, pattern: SINGLE_LINE.source };

const FREE_FORM_VALUE_REF = { $ref: "#/components/schemas/FreeFormValue" };

/**
 * The `FreeFormValue` component: the rules of `storableProblem` for one value below a free-form
 * field, in JSON Schema, so that a value valid by the document is one the server keeps (issue 8
 * §6). Zod still does the checking (`storableProblem`, whose messages name the path and reason);
 * this is its statement in the document. The byte and depth caps are in the description only:
 * JSON Schema has no keyword for them. Register it once with `registerComponent("schemas", …)`.
 */
export const FREE_FORM_VALUE_COMPONENT = {
  name: "FreeFormValue",
  schema: {
    description: "A value inside a free-form JSON field (see FreeFormObject).",
    anyOf: [
      { type: "null" as const },
      { type: "boolean" as const },
      { type: "string" as const, pattern: SINGLE_LINE.source },
      { type: "integer" as const, minimum: -MAX_EXACT, maximum: MAX_EXACT },
      { type: "number" as const, minimum: MIN_FRACTION, maximum: MAX_EXACT },
      { type: "number" as const, minimum: -MAX_EXACT, maximum: -MIN_FRACTION },
      { type: "array" as const, items: FREE_FORM_VALUE_REF },
      { type: "object" as const, propertyNames: KEY_RULE, additionalProperties: FREE_FORM_VALUE_REF },
    ],
  },
};

/** `propertyNames` (JSON Schema 2020-12, OpenAPI 3.1) is missing from the library's 3.0 types, hence a variable, not a literal. */
const FREE_FORM_OBJECT_DOCUMENT = { description: RULES, propertyNames: KEY_RULE, additionalProperties: FREE_FORM_VALUE_REF };

/**
 * A JSON object held to what storage keeps, not yet in the document: for a field whose own
 * component states narrower rules (a DNS provider type's credential fields).
 */
export const storableObject = () =>
  z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
    const problem = storableProblem(value);
    if (problem) ctx.addIssue({ code: "custom", path: problem.path, message: problem.reason });
  });

/** The one schema of a free-form JSON object (the `FreeFormObject` component of the document). */
export const FreeFormObjectSchema = storableObject().openapi("FreeFormObject", FREE_FORM_OBJECT_DOCUMENT);
