import { z } from "@hono/zod-openapi";
import { singleLine } from "./strings.js";

/**
 * A resource id in a path or query: a positive integer in plain decimal (api-conventions.md).
 * A malformed one is a 400 that names the parameter and what was given ("credentialId: 'abc' is
 * not a valid ID …"), never a 404 or a 500; `0x10` or `1e1` are not quietly read as 16 or 10.
 */
export const idParameter = (name: string, where: "path" | "query", example: number) =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,14}$/, { error: (issue) => `'${String(issue.input)}' is not a valid ID: IDs are positive integers` })
    .transform(Number)
    .openapi({ param: { name, in: where }, type: "integer", example });

export const IdParamsSchema = z.object({ id: idParameter("id", "path", 1) });

/** A name as the zones library checks it; the service normalises and reports problems. */
export const DomainNameSchema = singleLine(253).min(1).openapi({ example: "app.example.com" });

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
 * `?limit&cursor` of a listing whose body is the documents' plain array: the cursor of the next
 * page travels in the `X-Next-Cursor` header, absent on the last page.
 */
export const PageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100).openapi({ description: "Items per page" }),
  cursor: z.string().max(2048).optional().openapi({ description: `\`${NEXT_CURSOR}\` of the previous page` }),
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
