/**
 * Reading the served OpenAPI document in tests: its operations; Ajv (JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1) to check every response a test sees against the schema the document
 * declares for it; and the official OpenAPI 3.1 schema to check the document itself.
 */
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
export type Schema = Record<string, unknown>;

export interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: Schema }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  security?: Array<Record<string, string[]>>;
  "x-charon-access"?: { resource: string; access: "read" | "write" } | "public" | "session";
  [key: string]: unknown;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema>; securitySchemes?: Record<string, Schema> };
}

export const HTTP_METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"] as const;

export interface OperationEntry {
  /** `METHOD /path/{param}`: how sample tables key operations. */
  key: string;
  method: string;
  path: string;
  operation: Operation;
}

export function operationsOf(document: OpenApiDocument): OperationEntry[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => (HTTP_METHODS as readonly string[]).includes(method))
      .map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, method, path, operation })),
  );
}

/** The operation a concrete request path belongs to (`/api/nginx/proxy-hosts/7` → `{id}`). */
export function findOperation(document: OpenApiDocument, method: string, concretePath: string): OperationEntry | undefined {
  const path = concretePath.split("?")[0]!;
  return operationsOf(document).find((entry) => {
    if (entry.method !== method.toLowerCase()) return false;
    const pattern = new RegExp(`^${entry.path.replace(/\{[^}]+\}/g, "[^/]+")}$`);
    return pattern.test(path);
  });
}

/** Problems of `value` against the response schema the document declares; [] when it conforms. */
export function responseProblems(
  document: OpenApiDocument,
  method: string,
  concretePath: string,
  status: number,
  value: unknown,
): string[] {
  const entry = findOperation(document, method, concretePath);
  if (!entry) return [`no operation ${method} ${concretePath} in the document`];
  const response = entry.operation.responses[String(status)];
  if (!response) return [`${entry.key} does not declare status ${status}`];
  const schema = response.content?.["application/json"]?.schema;
  if (!schema) return value === undefined || value === null ? [] : [`${entry.key} ${status} declares no JSON body`];
  return validate(document, schema, value, "$");
}

const compiled = new WeakMap<Schema, ValidateFunction>();

/** Problems of `value` against `schema`, whose `#/components/…` references point into `document`. */
export function validate(document: OpenApiDocument, schema: Schema, value: unknown, at: string): string[] {
  let check = compiled.get(schema);
  if (!check) {
    // OpenAPI keywords beside JSON Schema (example, discriminator, …) are annotations here.
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    check = ajv.compile({ ...schema, components: document.components });
    compiled.set(schema, check);
  }
  if (check(value)) return [];
  return (check.errors ?? []).map((error) => `${at}${error.instancePath.replaceAll("/", ".")}: ${error.message ?? error.keyword}`);
}

export function resolveRef(document: OpenApiDocument, ref: string): Schema {
  const prefix = "#/components/schemas/";
  const schema = ref.startsWith(prefix) ? document.components?.schemas?.[ref.slice(prefix.length)] : undefined;
  if (!schema) throw new Error(`unresolvable $ref ${ref}`);
  return schema;
}

/**
 * An OpenAPI 3.1 document's problems: validation against the official 3.1 schema, then what a
 * schema cannot say (every path template's parameter declared and required). [] when valid.
 */
export async function openApi31Problems(document: OpenApiDocument): Promise<string[]> {
  if (!/^3\.1\.\d+$/.test(document.openapi)) return [`openapi is '${document.openapi}', not 3.1.x`];
  const result = await new Validator().validate(structuredClone(document) as unknown as Record<string, unknown>);
  const problems = result.valid ? [] : [JSON.stringify(result.errors)];
  for (const entry of operationsOf(document)) {
    const templated = [...entry.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const name of templated) {
      const parameter = entry.operation.parameters?.find((p) => p.in === "path" && p.name === name);
      if (!parameter) problems.push(`${entry.key}: path parameter '${name}' is not declared`);
      else if (parameter.required !== true) problems.push(`${entry.key}: path parameter '${name}' must be required`);
    }
  }
  return problems;
}
