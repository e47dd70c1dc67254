import { ValidationError } from "@charon/core";
import type { z } from "@hono/zod-openapi";

/** The conventions' error title for each part of a request zod checks. */
const TITLES: Record<string, string> = {
  json: "Invalid request body",
  param: "Invalid path parameter",
  query: "Invalid query parameter",
  header: "Invalid header",
};

/**
 * Turns a zod failure into the 400 of the conventions: the first problem, naming the field and
 * the rule ("forward_port: Too big: expected number to be <=65535", "Unknown field 'foo'"), so a
 * person can fix the request without reading the schema.
 */
export function validationErrorFrom(error: z.ZodError, target: string): ValidationError {
  const issue = error.issues[0];
  // A cursor not in the form the API hands out is as invalid as one it did not sign (README).
  const title = target === "query" && issue?.path[0] === "cursor" ? "Invalid cursor" : (TITLES[target] ?? "Invalid request");
  if (!issue) return new ValidationError("The request is invalid", title);
  const where = issue.path.length > 0 ? issue.path.join(".") : target;
  if (issue.code === "unrecognized_keys") {
    const prefix = issue.path.length > 0 ? `${issue.path.join(".")}.` : "";
    const names = issue.keys.map((k) => `'${prefix}${k}'`).join(", ");
    return new ValidationError(target === "query" ? `Unknown query parameter ${names}` : `Unknown field ${names}`, title);
  }
  // zod 4 leaves `input` out of issues unless asked; its message names what was received.
  if (issue.code === "invalid_type" && /received undefined$/.test(issue.message)) {
    return new ValidationError(`${where}: is required`, title);
  }
  return new ValidationError(`${where}: ${issue.message}`, title);
}
