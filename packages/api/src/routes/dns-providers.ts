import { ConflictError, type CredentialService, type DnsDirectory, type DnsProviderService, type TokenService } from "@charon/core";
import { actorOf } from "../actor.js";
import { protectedRoute, routeGroup } from "../routing.js";
import {
  IdParamsSchema,
  PAGE_DESCRIPTION,
  PageQuerySchema,
  acceptingReadOnly,
  acceptingReadOnlyUnion,
  jsonBody,
  jsonResponse,
  nextPageHeaders,
  pageResponse,
} from "../schemas/common.js";
import { MatchQuerySchema, MatchSchema, StatisticsSchema, matchBody, statisticsBody } from "../schemas/credentials.js";
import {
  DnsProviderListSchema,
  DnsProviderSchema,
  DnsProviderTypesSchema,
  DnsProviderUpdateSchema,
  credentialFieldsOnUpdateComponents,
  ModeDisabledSchema,
  ModeEnabledSchema,
  ProviderDeletedSchema,
  providerBody,
  providerTypeBody,
  dnsProviderCreateVariants,
  requiredFieldsDescription,
  writtenFields,
} from "../schemas/dns-providers.js";
import { credentialRoutes } from "./credentials.js";

export interface DnsRouteServices {
  dnsProviders: DnsProviderService;
  credentials: CredentialService;
  dnsDirectory: DnsDirectory;
}

/** What a provider's GET shows that a write does not set. */
const PROVIDER_READ_ONLY = ["id", "multi_credential_enabled", "primary_credential_id", "credential_count", "created_at", "updated_at"];

const DISABLED_NOTE = "Other credentials are retained but not used. Re-enable multi-credential mode to use them again.";

/**
 * The DNS provider collection with everything under it. Paths are relative: app.ts mounts this
 * one group at both `/api/nginx/dns-providers` and `/api/v1/dns-providers`
 * (shared/spec/api-conventions.md), so both reach the same providers.
 */
export function dnsProviderRoutes(tokens: TokenService, services: DnsRouteServices) {
  const { dnsProviders, dnsDirectory, credentials } = services;
  const tags = ["DNS providers"];
  const read = { resource: "dns_providers", access: "read" } as const;
  const write = { resource: "dns_providers", access: "write" } as const;
  const params = IdParamsSchema;
  const body = (view: Parameters<typeof providerBody>[0]) => providerBody(view, dnsProviders.descriptor(view.provider.type));

  const types = protectedRoute(tokens, read, {
    method: "get",
    path: "/types",
    summary: "Supported provider types with their credential fields",
    tags,
    responses: { 200: jsonResponse(DnsProviderTypesSchema, "Every supported type") },
  });
  const list = protectedRoute(tokens, read, {
    method: "get",
    path: "/",
    summary: "List DNS providers",
    description: PAGE_DESCRIPTION,
    tags,
    request: { query: PageQuerySchema },
    responses: { 200: pageResponse(DnsProviderListSchema, "DNS providers; secret fields show as \"set\"") },
  });
  const create = protectedRoute(tokens, write, {
    method: "post",
    path: "/",
    summary: "Add a DNS provider (for DNS-01 challenges)",
    description: "`meta` holds the provider's own credential, which becomes its primary credential.",
    tags,
    request: {
      body: jsonBody(
        acceptingReadOnlyUnion(
          "acme_dns_provider",
          dnsProviderCreateVariants(dnsProviders.types()),
          PROVIDER_READ_ONLY,
          "DnsProviderCreate",
          (given) =>
            `Unknown DNS provider type ${typeof given === "string" ? `'${given}'` : JSON.stringify(given)}; supported types: ${dnsProviders
              .types()
              .map((t) => t.type)
              .join(", ")}`,
        ),
        requiredFieldsDescription("The provider; `meta` holds its credential", dnsProviders.types()),
      ),
    },
    responses: { 201: jsonResponse(DnsProviderSchema, "The new provider") },
  });
  const get = protectedRoute(tokens, read, {
    method: "get",
    path: "/{id}",
    summary: "A DNS provider",
    tags,
    request: { params },
    responses: { 200: jsonResponse(DnsProviderSchema, "The provider") },
  });
  const updateRoute = (method: "put" | "patch") =>
    protectedRoute(tokens, write, {
      method,
      path: "/{id}",
      summary: "Rename a DNS provider or replace its primary credential (only the fields given change)",
      tags,
      request: { params, body: jsonBody(acceptingReadOnly(DnsProviderUpdateSchema, PROVIDER_READ_ONLY, "DnsProviderUpdate")) },
      responses: { 200: jsonResponse(DnsProviderSchema, "The provider") },
    });
  const remove = protectedRoute(tokens, write, {
    method: "delete",
    path: "/{id}",
    summary: "Delete a DNS provider and its credentials",
    description: "409 listing the certificates when certificates use it.",
    tags,
    request: { params },
    responses: { 200: jsonResponse(ProviderDeletedSchema, "Deleted") },
  });
  const enable = protectedRoute(tokens, write, {
    method: "post",
    path: "/{id}/enable-multi-credential",
    summary: "Enable multi-credential mode (idempotent)",
    description:
      'The first time, the existing credential becomes "{Provider} Primary Credential" with an empty (catch-all) filter.',
    tags,
    request: { params },
    responses: { 200: jsonResponse(ModeEnabledSchema, "Enabled") },
  });
  const disable = protectedRoute(tokens, write, {
    method: "post",
    path: "/{id}/disable-multi-credential",
    summary: "Disable multi-credential mode (idempotent): the first credential becomes the primary again",
    tags,
    request: { params },
    responses: { 200: jsonResponse(ModeDisabledSchema, "Disabled") },
  });
  const match = protectedRoute(tokens, read, {
    method: "get",
    path: "/{id}/match",
    summary: "Which credential a domain would use, and why",
    tags,
    request: { params, query: MatchQuerySchema },
    responses: { 200: jsonResponse(MatchSchema, "The choice; `credential` is null when nothing matches") },
  });
  const statistics = protectedRoute(tokens, read, {
    method: "get",
    path: "/{id}/statistics",
    summary: "Usage statistics of the provider's credentials",
    tags,
    request: { params },
    responses: { 200: jsonResponse(StatisticsSchema, "Statistics") },
  });

  const group = routeGroup();
  // The components an update's `meta` refers to (`credentialFieldsOnUpdate`).
  for (const { name, schema } of credentialFieldsOnUpdateComponents(dnsProviders.types())) {
    group.openAPIRegistry.registerComponent("schemas", name, schema);
  }
  group
    .openapi(types, (c) => c.json({ types: dnsProviders.types().map(providerTypeBody) }, 200))
    .openapi(list, async (c) => {
      const page = await dnsProviders.list(c.req.valid("query"));
      return c.json(page.providers.map(body), 200, nextPageHeaders(page.cursor));
    })
    .openapi(create, async (c) => {
      const input = c.req.valid("json");
      const meta = writtenFields("meta", input.meta);
      const view = await dnsProviders.create({ name: input.name, type: input.acme_dns_provider, meta }, actorOf(c));
      return c.json(body(view), 201);
    })
    .openapi(get, async (c) => c.json(body(await dnsProviders.get(c.req.valid("param").id)), 200));
  for (const method of ["put", "patch"] as const) {
    group.openapi(updateRoute(method), async (c) => {
      const input = c.req.valid("json");
      const { id } = c.req.valid("param");
      // `meta` as the provider's GET shows it (secrets as "set", either spelling) keeps the credential.
      const stored = input.meta === undefined ? undefined : await dnsProviders.get(id);
      if (stored?.primary && Object.keys(input.meta!).length === 0) {
        throw new ConflictError(`meta: {} is how answers show a provider with no primary credential; DNS provider ${id} has one, so give its fields`);
      }
      const meta = stored && writtenFields("meta", input.meta, body(stored).meta, dnsProviders.descriptor(stored.provider.type));
      const view = await dnsProviders.update(id, { name: input.name, type: input.acme_dns_provider, meta }, actorOf(c));
      return c.json(body(view), 200);
    });
  }
  return group
    .openapi(remove, async (c) => {
      const { id } = c.req.valid("param");
      await dnsProviders.delete(id, actorOf(c));
      return c.json({ message: "DNS provider deleted successfully", id }, 200);
    })
    .openapi(enable, async (c) => {
      const { provider, migrated } = await dnsProviders.enableMultiCredential(c.req.valid("param").id, actorOf(c));
      return c.json(
        {
          message: "Multi-credential mode enabled" as const,
          provider_id: provider.id,
          migrated_credential: migrated
            ? { id: migrated.id, name: migrated.name, zone_filter: migrated.zoneFilter, description: migrated.description }
            : null,
        },
        200,
      );
    })
    .openapi(disable, async (c) => {
      const { provider, primary } = await dnsProviders.disableMultiCredential(c.req.valid("param").id, actorOf(c));
      return c.json(
        {
          message: "Multi-credential mode disabled" as const,
          provider_id: provider.id,
          primary_credential: { id: primary.id, name: primary.name },
          note: DISABLED_NOTE,
        },
        200,
      );
    })
    .openapi(match, async (c) =>
      c.json(matchBody(await dnsDirectory.match(c.req.valid("param").id, c.req.valid("query").domain)), 200),
    )
    .openapi(statistics, async (c) => c.json(statisticsBody(await credentials.statistics(c.req.valid("param").id)), 200))
    .route(
      "/",
      credentialRoutes(
        tokens,
        credentials,
        requiredFieldsDescription("The credential; `credentials` holds its fields", dnsProviders.types()),
        async (providerId) => dnsProviders.descriptor((await dnsProviders.get(providerId)).provider.type),
      ),
    );
}
