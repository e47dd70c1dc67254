import { z } from "@hono/zod-openapi";
import { FreeFormObjectSchema } from "./json.js";
import { displayName, singleLine } from "./strings.js";
import { isDeepStrictEqual } from "node:util";
import { ValidationError, type DnsCredential, type DnsProviderType, type ProviderView } from "@charon/core";

/** A secret field as responses show it: that it is set, never its value. */
const SET = "set";

/**
 * `meta` or `credentials` as a write gives them, after the round trip: fields equal to what the
 * answer shows (`shown`, secrets as "set") change nothing (undefined); otherwise a secret shown
 * as "set" cannot be stored (secrets are write-only), a 400 naming the field.
 */
export function writtenFields(
  field: string,
  given: Record<string, unknown> | undefined,
  shown?: Record<string, string>,
): Record<string, unknown> | undefined {
  if (given === undefined) return undefined;
  if (shown !== undefined && isDeepStrictEqual(given, shown)) return undefined;
  const placeholder = Object.keys(given).find((name) => given[name] === SET);
  if (placeholder !== undefined) {
    throw new ValidationError(
      `${field}.${placeholder}: "set" is how answers show a stored secret; secrets are write-only, so give its value (or send ${field} exactly as shown to keep it)`,
    );
  }
  return given;
}

/** Credential fields by name: non-secret values as stored, secret ones as "set". */
export const CredentialFieldsSchema = z
  .record(z.string(), z.string())
  .openapi("CredentialFields", { example: { api_token: "set" } });

export const DnsProviderCreateSchema = z
  .strictObject({
    name: displayName(100),
    acme_dns_provider: singleLine(64).min(1).openapi({ example: "cloudflare" }),
    meta: FreeFormObjectSchema.openapi({ description: "The provider's credentials, ACME-client spelling (`CF_API_TOKEN`) or the credentials API's (`api_token`)" }),
  })
  .openapi("DnsProviderCreate", {
    example: { name: "Cloudflare Production", acme_dns_provider: "cloudflare", meta: { CF_API_TOKEN: "your-cloudflare-token" } },
  });

export const DnsProviderUpdateSchema = z
  .strictObject({
    name: displayName(100).optional(),
    acme_dns_provider: singleLine(64).min(1).optional(),
    meta: FreeFormObjectSchema.optional().openapi({ description: "Replaces the primary credential's fields" }),
  })
  .openapi("DnsProviderUpdate");

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
