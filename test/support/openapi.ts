/**
 * Reading the served OpenAPI document in tests: its operations, and a validator for the JSON
 * Schema subset that zod-to-openapi emits, so every response a test sees can be checked against
 * the schema the document declares for it.
 */
export type Schema = Record<string, unknown>;

export interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: Schema }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  security?: Array<Record<string, string[]>>;
  "x-charon-access"?: { resource: string; access: "read" | "write" } | "public";
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

export function validate(document: OpenApiDocument, schema: Schema, value: unknown, at: string): string[] {
  if (typeof schema["$ref"] === "string") {
    return validate(document, resolveRef(document, schema["$ref"]), value, at);
  }
  const problems: string[] = [];
  for (const combinator of ["anyOf", "oneOf"] as const) {
    const options = schema[combinator] as Schema[] | undefined;
    if (options) {
      const matching = options.filter((option) => validate(document, option, value, at).length === 0).length;
      if (combinator === "anyOf" ? matching === 0 : matching !== 1) {
        problems.push(`${at}: matches ${matching} of the ${combinator} alternatives`);
      }
    }
  }
  for (const part of (schema["allOf"] as Schema[] | undefined) ?? []) problems.push(...validate(document, part, value, at));
  if ("const" in schema && JSON.stringify(schema["const"]) !== JSON.stringify(value)) {
    problems.push(`${at}: expected ${JSON.stringify(schema["const"])}`);
  }
  const allowed = schema["enum"] as unknown[] | undefined;
  if (allowed && !allowed.some((v) => JSON.stringify(v) === JSON.stringify(value))) {
    problems.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(allowed)}`);
  }
  const types = schema["type"] === undefined ? undefined : ([] as string[]).concat(schema["type"] as string | string[]);
  if (types && !types.some((type) => hasType(value, type))) {
    problems.push(`${at}: expected ${types.join(" or ")}, got ${JSON.stringify(value)?.slice(0, 80)}`);
    return problems;
  }
  if (typeof value === "number") {
    if (typeof schema["minimum"] === "number" && value < schema["minimum"]) problems.push(`${at}: below minimum`);
    if (typeof schema["maximum"] === "number" && value > schema["maximum"]) problems.push(`${at}: above maximum`);
  }
  if (typeof value === "string") {
    if (typeof schema["minLength"] === "number" && value.length < schema["minLength"]) problems.push(`${at}: too short`);
    if (typeof schema["maxLength"] === "number" && value.length > schema["maxLength"]) problems.push(`${at}: too long`);
    if (typeof schema["pattern"] === "string" && !new RegExp(schema["pattern"], "u").test(value)) {
      problems.push(`${at}: does not match ${schema["pattern"]}`);
    }
  }
  if (Array.isArray(value)) {
    const items = schema["items"] as Schema | undefined;
    if (items) value.forEach((item, index) => problems.push(...validate(document, items, item, `${at}[${index}]`)));
    if (typeof schema["minItems"] === "number" && value.length < schema["minItems"]) problems.push(`${at}: too few items`);
    if (typeof schema["maxItems"] === "number" && value.length > schema["maxItems"]) problems.push(`${at}: too many items`);
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const properties = (schema["properties"] as Record<string, Schema> | undefined) ?? {};
    for (const name of (schema["required"] as string[] | undefined) ?? []) {
      if (!(name in record)) problems.push(`${at}: missing required '${name}'`);
    }
    for (const [name, child] of Object.entries(record)) {
      const declared = properties[name];
      if (declared) problems.push(...validate(document, declared, child, `${at}.${name}`));
      else if (schema["additionalProperties"] === false) problems.push(`${at}: unexpected property '${name}'`);
      else if (typeof schema["additionalProperties"] === "object") {
        problems.push(...validate(document, schema["additionalProperties"] as Schema, child, `${at}.${name}`));
      }
    }
  }
  return problems;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "null":
      return value === null;
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "array":
      return Array.isArray(value);
    case "object":
      return value !== null && typeof value === "object" && !Array.isArray(value);
    default:
      return typeof value === type;
  }
}

export function resolveRef(document: OpenApiDocument, ref: string): Schema {
  const prefix = "#/components/schemas/";
  const schema = ref.startsWith(prefix) ? document.components?.schemas?.[ref.slice(prefix.length)] : undefined;
  if (!schema) throw new Error(`unresolvable $ref ${ref}`);
  return schema;
}

/**
 * Structural checks of an OpenAPI 3.1 document: the version, info, path templates and their
 * parameters, responses, security schemes and every $ref. Returns the problems found.
 */
export function openApi31Problems(document: OpenApiDocument): string[] {
  const problems: string[] = [];
  if (!/^3\.1\.\d+$/.test(document.openapi)) problems.push(`openapi is '${document.openapi}', not 3.1.x`);
  if (!document.info?.title || !document.info?.version) problems.push("info.title and info.version are required");
  const operationIds = new Set<string>();
  for (const entry of operationsOf(document)) {
    if (!entry.path.startsWith("/")) problems.push(`${entry.key}: paths start with '/'`);
    const templated = [...entry.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const name of templated) {
      const parameter = entry.operation.parameters?.find((p) => p.in === "path" && p.name === name);
      if (!parameter) problems.push(`${entry.key}: path parameter '${name}' is not declared`);
      else if (parameter.required !== true) problems.push(`${entry.key}: path parameter '${name}' must be required`);
    }
    if (Object.keys(entry.operation.responses ?? {}).length === 0) problems.push(`${entry.key}: no responses`);
    for (const [status, response] of Object.entries(entry.operation.responses ?? {})) {
      if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(status)) problems.push(`${entry.key}: bad status key ${status}`);
      if (typeof (response as { description?: unknown }).description !== "string") {
        problems.push(`${entry.key} ${status}: a response needs a description`);
      }
    }
    for (const requirement of entry.operation.security ?? []) {
      for (const scheme of Object.keys(requirement)) {
        if (!document.components?.securitySchemes?.[scheme]) problems.push(`${entry.key}: unknown security scheme ${scheme}`);
      }
    }
    const id = entry.operation["operationId"];
    if (typeof id === "string") {
      if (operationIds.has(id)) problems.push(`duplicate operationId ${id}`);
      operationIds.add(id);
    }
  }
  const refs = JSON.stringify(document).matchAll(/"\$ref":"([^"]+)"/g);
  for (const [, ref] of refs) {
    try {
      resolveRef(document, ref!);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  return problems;
}
