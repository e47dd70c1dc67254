import { ValidationError } from "@charon/core";
import type { z } from "@hono/zod-openapi";

/**
 * Turns a zod failure into the 400 of the conventions: the first problem, naming the field and
 * the rule ("forward_port: must be at most 65535", "Unknown field 'foo'"), so a person can fix
 * the request without reading the schema.
 */
export function validationErrorFrom(error: z.ZodError, target: string): ValidationError {
  const issue = error.issues[0];
  if (!issue) return new ValidationError("The request is invalid");
  const where = issue.path.length > 0 ? issue.path.join(".") : target;
  if (issue.code === "unrecognized_keys") {
    const prefix = issue.path.length > 0 ? `${issue.path.join(".")}.` : "";
    const fields = issue.keys.map((k) => `'${prefix}${k}'`).join(", ");
    return new ValidationError(`Unknown field ${fields}`);
  }
  // zod 4 leaves `input` out of issues unless asked; its message names what was received.
  if (issue.code === "invalid_type" && /received undefined$/.test(issue.message)) {
    return new ValidationError(`${where}: is required`);
  }
  return new ValidationError(`${where}: ${issue.message}`);
}
