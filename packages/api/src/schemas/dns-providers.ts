import { z } from "@hono/zod-openapi";
import { storableObject } from "./json.js";
import { NOT_BLANK_SINGLE_LINE, displayName, singleLine } from "./strings.js";
import { urlPattern } from "./urls.js";
import { isDeepStrictEqual } from "node:util";
import {
  ConflictError,
  DNS_PROVIDER_TYPE_NAMES,
  ValidationError,
  type DnsCredential,
  type DnsCredentialField,
  type DnsProviderType,
  type DnsProviderTypeName,
  type ProviderView,
} from "@charon/core";

/** A secret field as responses show it: that it is set, never its value. */
const SET = "set";

/**
 * `meta` or `credentials` as a write gives them, after the round trip: fields equal to what the
 * answer shows (`shown`, secrets as "set") change nothing (undefined); otherwise a secret shown
 * as "set" cannot be stored (secrets are write-only), a 400 naming the field.
 *
 * With the stored credential's type (`stored`, an update of a provider or a credential, whose
 * document takes "set" for a secret: `KEEP_DESCRIPTION`), fields compare in either spelling, "set" counts only in a secret
 * field, and "set" with another field of the type changed is a 409: the body is sound, the
 * stored credential is what it does not match.
 */
export function writtenFields(
  field: string,
  given: Record<string, unknown> | undefined,
  shown?: Record<string, string>,
  stored?: DnsProviderType,
): Record<string, unknown> | undefined {
  if (given === undefined) return undefined;
  if (shown !== undefined && isDeepStrictEqual(inSpelling(given, stored), inSpelling(shown, stored))) return undefined;
  const secret = (name: string) => stored === undefined || stored.fields.some((f) => f.secret && (f.name === name || f.envName === name));
  const placeholder = Object.keys(given).find((name) => given[name] === SET && secret(name));
  if (placeholder === undefined) return given;
  if (stored !== undefined) {
    // A field the type does not have: the service's 400 (or 409 for another type's fields) says so.
    const ofType = (name: string) => stored.fields.some((f) => f.name === name || f.envName === name);
    if (!Object.keys(given).every(ofType)) return given;
    throw new ConflictError(
      `${field}.${placeholder}: "set" keeps the stored secret only with ${field} as the GET shows it, and this ${field} changes the credential; secrets are write-only, so give every secret's value`,
    );
  }
  throw new ValidationError(
    `${field}.${placeholder}: "set" is how answers show a stored secret; secrets are write-only, so give its value (or send ${field} exactly as shown to keep it)`,
  );
}

/** `fields` named by the credentials API's spelling (`CF_API_TOKEN` → `api_token`) when `descriptor` is known; as given otherwise. */
function inSpelling(fields: Record<string, unknown>, descriptor: DnsProviderType | undefined): Record<string, unknown> {
  if (descriptor === undefined) return fields;
  const named = Object.entries(fields).map(([name, value]) => [descriptor.fields.find((f) => f.envName === name)?.name ?? name, value] as const);
  // Both spellings of one field is no credential's form: keep it apart from every shown one.
  return new Set(named.map(([name]) => name)).size === named.length ? Object.fromEntries(named) : fields;
}

/** Credential fields by name: non-secret values as stored, secret ones as "set". */
export const CredentialFieldsSchema = z
  .record(z.string(), z.string())
  .openapi("CredentialFields", { example: { api_token: "set" } });

/** `Route 53` → `Route53`: a component name from a type's label. */
const componentName = (descriptor: DnsProviderType) => descriptor.label.replace(/[^A-Za-z0-9]/g, "");

/** The component stating a type's credential fields (`credentialFieldsDocument`): `Route53CredentialFields`. */
const credentialFieldsComponent = (type: DnsProviderTypeName) => `${type[0]!.toUpperCase()}${type.slice(1)}CredentialFields`;

/**
 * Credential fields of some supported type (`anyOf` the types' components): for a body whose
 * provider, hence type, the path names. Fields of another type than the provider's are a 409
 * (`credentialsOfProvider`), anything else a 400.
 */
export const credentialFieldsOfAnyType = (description: string) =>
  storableObject().openapi({
    description,
    anyOf: DNS_PROVIDER_TYPE_NAMES.map((type) => ({ $ref: `#/components/schemas/${credentialFieldsComponent(type)}` })),
    example: { api_token: "your-cloudflare-api-token" },
  });

/** What the value "set" of a secret field means in an update's `meta`. */
const KEEP_DESCRIPTION =
  '"set" (how answers show a stored secret) keeps the stored value: taken only with the fields as the GET shows them ' +
  "(either spelling), the GitOps round trip, which changes nothing; with any field changed it is a 409, since secrets are write-only";

/**
 * The components of an update's `meta` (`DnsProviderUpdate`): a type's credential fields as on
 * create, except that a secret may be "set" (`KEEP_DESCRIPTION`, `keptFields`). For
 * `registerComponent("schemas", …)`, as `credentialFieldsOnUpdate` refers to them by name.
 */
export function credentialFieldsOnUpdateComponents(types: readonly DnsProviderType[]) {
  return types.map((descriptor) => ({
    name: `${credentialFieldsComponent(descriptor.type)}OnUpdate`,
    schema: credentialFieldsDocument(descriptor, true),
  }));
}

/**
 * An update's `meta` or `credentials`: credential fields of some supported type (`anyOf` the
 * `…CredentialFieldsOnUpdate` components). The path names the provider, hence its type: another
 * type's fields are a 409 (`credentialsOfProvider`), as is "set" with a field changed.
 */
export const credentialFieldsOnUpdate = (what: string, empty?: string) =>
  storableObject().openapi({
    description: `${what} (a rotation): those of the provider's type (another type's are a 409). ${KEEP_DESCRIPTION}`,
    anyOf: [
      ...DNS_PROVIDER_TYPE_NAMES.map((type) => ({ $ref: `#/components/schemas/${credentialFieldsComponent(type)}OnUpdate` })),
      ...(empty === undefined ? [] : [{ type: "object" as const, maxProperties: 0, description: empty }]),
    ],
    example: { CF_API_TOKEN: "your-new-cloudflare-api-token" },
  });

/**
 * A type's credential fields as JSON Schema: each field in either spelling (not both), a string
 * that is not blank (an http(s) URL for `format: "url"`; a secret never the placeholder "set",
 * unless `onUpdate`, where "set" keeps it), no other field, and exactly one credential set
 * complete with no field of another set. This is the rule `normaliseWith` (`@charon/dns`) and
 * `writtenFields` apply; they keep the checking and their messages ("Cloudflare needs api_token,
 * or api_key and email"), the document states it.
 */
function credentialFieldsDocument(descriptor: DnsProviderType, onUpdate = false): Record<string, unknown> {
  const spellings = (field: DnsCredentialField) => (field.envName === field.name ? [field.name] : [field.name, field.envName]);
  const fieldNamed = (name: string) => descriptor.fields.find((f) => f.name === name)!;
  const given = (name: string) => ({ anyOf: spellings(fieldNamed(name)).map((spelling) => ({ required: [spelling] })) });
  const value = (field: DnsCredentialField) => ({
    type: "string",
    description: field.description,
    pattern: field.format === "url" ? POWERDNS_URL.source : NOT_BLANK_SINGLE_LINE.source,
    ...(field.secret
      ? { writeOnly: true, ...(onUpdate ? { description: `${field.description}. ${KEEP_DESCRIPTION}` } : { not: { const: SET } }) }
      : {}),
  });
  const sets = descriptor.credentialSets.map((set) => {
    const others = descriptor.credentialSets.flat().filter((name) => !set.includes(name));
    return { allOf: set.map(given), ...(others.length > 0 ? { not: { anyOf: others.map(given) } } : {}) };
  });
  return {
    type: "object",
    description:
      `${descriptor.label}'s credential: exactly one of ${descriptor.credentialSets.map((set) => set.join(" + ")).join(", or ")}, ` +
      "each field in either spelling (the credentials API's or the ACME client's), not both",
    properties: Object.fromEntries(descriptor.fields.flatMap((field) => spellings(field).map((spelling) => [spelling, value(field)]))),
    additionalProperties: false,
    allOf: [
      ...descriptor.fields.filter((field) => field.envName !== field.name).map((field) => ({ not: { required: [field.name, field.envName] } })),
      sets.length === 1 ? sets[0] : { oneOf: sets },
    ],
  };
}

/** PowerDNS's `api_url`: http or https, a host name (an IP address is taken too, unless it is one the server never calls). */
const POWERDNS_URL = urlPattern("https?", { ipv4: false });

/**
 * The bodies of `POST …/dns-providers`, one per type (`oneOf` on `acme_dns_provider` in the
 * document), each with that type's credential fields in `meta`.
 */
export function dnsProviderCreateVariants(types: readonly DnsProviderType[]) {
  return Object.fromEntries(
    types.map((descriptor) => [
      `DnsProviderCreate${componentName(descriptor)}`,
      z.strictObject({
        name: displayName(100),
        acme_dns_provider: z.literal(descriptor.type),
        meta: storableObject().openapi(credentialFieldsComponent(descriptor.type), credentialFieldsDocument(descriptor)),
      }),
    ]),
  );
}

/** What `meta: {}` means on a provider's update: the round trip of a provider with no primary credential. */
const NO_PRIMARY_DESCRIPTION =
  "{}: how answers show a provider with no primary credential (multi-credential mode, the primary deleted); " +
  "sent back to such a provider it changes nothing, to a provider with a primary credential it is a 409";

export const DnsProviderUpdateSchema = z.strictObject({
  name: displayName(100).optional(),
  // Another supported type is a 409 (a provider cannot change type), anything else a 400.
  acme_dns_provider: singleLine(64).min(1).optional().openapi({ enum: [...DNS_PROVIDER_TYPE_NAMES] }),
  meta: credentialFieldsOnUpdate("Replaces the primary credential's fields", NO_PRIMARY_DESCRIPTION).optional(),
});

export const DnsProviderSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    acme_dns_provider: z.string(),
    meta: CredentialFieldsSchema.openapi({ example: { CF_API_TOKEN: "set" } }),
    multi_credential_enabled: z.boolean(),
    primary_credential_id: z.number().int().nullable(),
    credential_count: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("DnsProvider");

export const DnsProviderListSchema = z.array(DnsProviderSchema).openapi("DnsProviderList");

export const DnsProviderTypeSchema = z
  .object({
    type: z.string(),
    label: z.string(),
    docs_url: z.string(),
    credential_sets: z.array(z.array(z.string())).openapi({ description: "Alternatives; each lists the fields that together authenticate" }),
    required_fields: z.array(z.string()).openapi({ description: "Fields of the first credential set" }),
    optional_fields: z.array(z.string()).openapi({ description: "Fields outside every credential set" }),
    fields: z.array(
      z.object({
        name: z.string(),
        env_name: z.string(),
        secret: z.boolean(),
        required: z.boolean(),
        description: z.string(),
      }),
    ),
  })
  .openapi("DnsProviderType");

export const DnsProviderTypesSchema = z.object({ types: z.array(DnsProviderTypeSchema) }).openapi("DnsProviderTypes");

export const ModeEnabledSchema = z
  .object({
    message: z.literal("Multi-credential mode enabled"),
    provider_id: z.number().int(),
    migrated_credential: z
      .object({ id: z.number().int(), name: z.string(), zone_filter: z.string(), description: z.string().nullable() })
      .nullable(),
  })
  .openapi("MultiCredentialEnabled");

export const ModeDisabledSchema = z
  .object({
    message: z.literal("Multi-credential mode disabled"),
    provider_id: z.number().int(),
    primary_credential: z.object({ id: z.number().int(), name: z.string() }),
    note: z.string(),
  })
  .openapi("MultiCredentialDisabled");

export const ProviderDeletedSchema = z
  .object({ message: z.string(), id: z.number().int() })
  .openapi("DnsProviderDeleted");

/** What a credential's fields look like in a response: settings as stored, secrets as "set". */
export function credentialFields(credential: Pick<DnsCredential, "settings" | "secretFields">): Record<string, string> {
  return { ...credential.settings, ...Object.fromEntries(credential.secretFields.map((f) => [f, SET])) };
}

export function providerBody({ provider, primary }: ProviderView, descriptor: DnsProviderType): z.infer<typeof DnsProviderSchema> {
  const envName = (field: string) => descriptor.fields.find((f) => f.name === field)?.envName ?? field;
  const fields = primary ? credentialFields(primary) : {};
  return {
    id: provider.id,
    name: provider.name,
    acme_dns_provider: provider.type,
    meta: Object.fromEntries(Object.entries(fields).map(([name, value]) => [envName(name), value])),
    multi_credential_enabled: provider.multiCredential,
    primary_credential_id: provider.primaryCredentialId,
    credential_count: provider.credentialCount,
    created_at: provider.createdAt,
    updated_at: provider.updatedAt,
  };
}

export function providerTypeBody(descriptor: DnsProviderType): z.infer<typeof DnsProviderTypeSchema> {
  const inSets = new Set(descriptor.credentialSets.flat());
  return {
    type: descriptor.type,
    label: descriptor.label,
    docs_url: descriptor.docsUrl,
    credential_sets: descriptor.credentialSets,
    required_fields: descriptor.credentialSets[0] ?? [],
    optional_fields: descriptor.fields.filter((f) => !inSets.has(f.name)).map((f) => f.name),
    fields: descriptor.fields.map((f) => ({
      name: f.name,
      env_name: f.envName,
      secret: f.secret,
      required: f.required,
      description: f.description,
    })),
  };
}

/**
 * The rule the server applies to `meta` (a provider) and `credentials` (a credential), in the
 * document: for each type, the sets of fields that together authenticate (one set is required),
 * in either spelling. Built from the registry, so a new type is documented as it is added.
 */
export function requiredFieldsDescription(what: string, types: readonly DnsProviderType[]): string {
  const spelled = (descriptor: DnsProviderType, field: string) => {
    const envName = descriptor.fields.find((f) => f.name === field)?.envName;
    return envName === undefined || envName === field ? `\`${field}\`` : `\`${field}\` (\`${envName}\`)`;
  };
  const lines = types.map(
    (descriptor) =>
      `- \`${descriptor.type}\`: ${descriptor.credentialSets.map((set) => set.map((field) => spelled(descriptor, field)).join(" + ")).join(", or ")}`,
  );
  return `${what}. One set of fields is required, by \`acme_dns_provider\` (each field in either spelling; a missing one is a 400 naming it; \`GET …/types\` lists every field):\n${lines.join("\n")}`;
}
