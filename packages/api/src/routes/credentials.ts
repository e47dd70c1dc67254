import type { CredentialService, DnsProviderType, TokenService } from "@charon/core";
import { actorOf } from "../actor.js";
import { protectedRoute, routeGroup } from "../routing.js";
import { IdParamsSchema, acceptingReadOnly, jsonBody, jsonResponse } from "../schemas/common.js";
import { credentialFields, writtenFields } from "../schemas/dns-providers.js";
import {
  CredentialCreateSchema,
  CredentialDeletedSchema,
  CredentialDetailSchema,
  CredentialListQuerySchema,
  CredentialListSchema,
  CredentialParamsSchema,
  CredentialTestResultSchema,
  CredentialUpdateSchema,
  SavedCredentialSchema,
  UnsavedCredentialTestSchema,
  credentialBody,
  savedCredentialBody,
  testResultBody,
} from "../schemas/credentials.js";

/** What a credential's GET shows that a write does not set: its ids, times and statistics. */
const CREDENTIAL_READ_ONLY = [
  "id",
  "provider_id",
  "created_at",
  "updated_at",
  "last_used_at",
  "last_success_at",
  "last_failure_at",
  "last_tested_at",
  "last_test_status",
  "usage_count",
  "success_count",
  "failure_count",
  "success_rate",
  "success_rate_alert",
  "domains",
];

/** multi-credential-dns.md's "Credential Management API Endpoints", under a provider. */
/** `bodyDescription`: what a create's body must hold, by provider type (requiredFieldsDescription). */
/** `typeOf`: the type of the provider a path names (its credential fields), for an update's round trip. */
export function credentialRoutes(
  tokens: TokenService,
  credentials: CredentialService,
  bodyDescription: string,
  typeOf: (providerId: number) => Promise<DnsProviderType>,
) {
  const tags = ["DNS credentials"];
  const read = { resource: "dns_providers", access: "read", subject: "credentials" } as const;
  const write = { resource: "dns_providers", access: "write", subject: "credentials" } as const;
  const params = CredentialParamsSchema;

  const list = protectedRoute(tokens, read, {
    method: "get",
    path: "/{id}/credentials",
    summary: "List a provider's credentials",
    description: "Lowest id first; `next_cursor` is null on the last page.",
    tags,
    request: { params: IdParamsSchema, query: CredentialListQuerySchema },
    responses: { 200: jsonResponse(CredentialListSchema, "One page of credentials") },
  });
  const create = protectedRoute(tokens, write, {
    method: "post",
    path: "/{id}/credentials",
    summary: "Create a credential",
    description:
      "409 with `conflicting_credential_id` when the name, a pattern or the catch-all is taken; `warnings` report overlaps.",
    tags,
    request: {
      params: IdParamsSchema,
      body: jsonBody(acceptingReadOnly(CredentialCreateSchema, CREDENTIAL_READ_ONLY, "CredentialCreate"), bodyDescription),
    },
    responses: { 201: jsonResponse(SavedCredentialSchema, "The new credential") },
  });
  const testUnsaved = protectedRoute(tokens, write, {
    method: "post",
    path: "/{id}/credentials/test",
    summary: "Test credentials before saving them",
    tags,
    request: { params: IdParamsSchema, body: jsonBody(UnsavedCredentialTestSchema) },
    responses: { 200: jsonResponse(CredentialTestResultSchema, "What the provider answered") },
  });
  const get = protectedRoute(tokens, read, {
    method: "get",
    path: "/{id}/credentials/{credentialId}",
    summary: "A credential, with the domains using it",
    tags,
    request: { params },
    responses: { 200: jsonResponse(CredentialDetailSchema, "The credential") },
  });
  const update = protectedRoute(tokens, write, {
    method: "patch",
    path: "/{id}/credentials/{credentialId}",
    summary: "Update a credential (only the fields given change)",
    description: "A filter change re-evaluates which credential each certificate name uses; `reassigned_domains` lists the names that moved.",
    tags,
    request: { params, body: jsonBody(acceptingReadOnly(CredentialUpdateSchema, CREDENTIAL_READ_ONLY, "CredentialUpdate")) },
    responses: { 200: jsonResponse(SavedCredentialSchema, "The credential") },
  });
  const remove = protectedRoute(tokens, write, {
    method: "delete",
    path: "/{id}/credentials/{credentialId}",
    summary: "Delete a credential (409 with `affected_domains` while in use)",
    tags,
    request: { params },
    responses: { 200: jsonResponse(CredentialDeletedSchema, "Deleted") },
  });
  const test = protectedRoute(tokens, write, {
    method: "post",
    path: "/{id}/credentials/{credentialId}/test",
    summary: "Test a credential against its provider",
    description: '`status` is "failed" (with the provider\'s reason) when it cannot authenticate or the provider does not answer properly.',
    tags,
    request: { params },
    responses: { 200: jsonResponse(CredentialTestResultSchema, "What the provider answered") },
  });

  return routeGroup()
    .openapi(list, async (c) => {
      const page = await credentials.list(c.req.valid("param").id, c.req.valid("query"));
      return c.json(
        { credentials: page.credentials.map(credentialBody), total: page.total, next_cursor: page.cursor ?? null },
        200,
      );
    })
    .openapi(create, async (c) => {
      const input = c.req.valid("json");
      const saved = await credentials.create(
        c.req.valid("param").id,
        {
          name: input.name,
          description: input.description,
          zoneFilter: input.zone_filter,
          enabled: input.enabled,
          credentials: writtenFields("credentials", input.credentials)!,
        },
        actorOf(c),
      );
      return c.json(savedCredentialBody(saved), 201);
    })
    .openapi(testUnsaved, async (c) => {
      const input = c.req.valid("json");
      const result = await credentials.testUnsaved(
        c.req.valid("param").id,
        { credentials: input.credentials, zoneFilter: input.zone_filter },
        actorOf(c),
      );
      return c.json(testResultBody(result), 200);
    })
    .openapi(get, async (c) => {
      const { id, credentialId } = c.req.valid("param");
      const { credential, domains } = await credentials.get(id, credentialId);
      return c.json({ ...credentialBody(credential), domains }, 200);
    })
    .openapi(update, async (c) => {
      const { id, credentialId } = c.req.valid("param");
      const input = c.req.valid("json");
      // `credentials` as the credential's GET shows them (secrets as "set", either spelling) keeps them.
      const [stored, type] =
        input.credentials === undefined ? [] : await Promise.all([credentials.get(id, credentialId), typeOf(id)]);
      const saved = await credentials.update(
        id,
        credentialId,
        {
          name: input.name,
          description: input.description,
          zoneFilter: input.zone_filter,
          enabled: input.enabled,
          credentials: stored && writtenFields("credentials", input.credentials, credentialFields(stored.credential), type),
        },
        actorOf(c),
      );
      return c.json(savedCredentialBody(saved), 200);
    })
    .openapi(remove, async (c) => {
      const { id, credentialId } = c.req.valid("param");
      await credentials.delete(id, credentialId, actorOf(c));
      return c.json({ message: "Credential deleted successfully" as const, id: credentialId }, 200);
    })
    .openapi(test, async (c) => {
      const { id, credentialId } = c.req.valid("param");
      return c.json(testResultBody(await credentials.test(id, credentialId, actorOf(c))), 200);
    });
}
