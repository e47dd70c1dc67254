import { z } from "@hono/zod-openapi";

/** A resource id in a path: a positive integer (api-conventions.md). */
export const IdParamsSchema = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: "id", in: "path" }, example: 1 }),
});

/** A name as the zones library checks it; the service normalises and reports problems. */
export const DomainNameSchema = z.string().min(1).max(253).openapi({ example: "app.example.com" });

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
