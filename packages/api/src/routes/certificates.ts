import { certificateFor, type CertificateService, type TokenService } from "@charon/core";
import { actorOf } from "../actor.js";
import { protectedRoute, routeGroup } from "../routing.js";
import { CertificateCreateSchema, CertificateListSchema, CertificateSchema } from "../schemas/certificates.js";
import {
  DeletedSchema,
  IdParamsSchema,
  PAGE_DESCRIPTION,
  PageQuerySchema,
  jsonBody,
  jsonResponse,
  nextPageHeaders,
  pageResponse,
} from "../schemas/common.js";

export function certificateRoutes(tokens: TokenService, certificates: CertificateService) {
  const tags = ["Certificates"];
  // Answers embed the DNS provider and each name's credential.
  const read = { resource: "certificates", access: "read", embeds: ["dns_providers"] } as const;
  const write = { resource: "certificates", access: "write", embeds: ["dns_providers"] } as const;

  const list = protectedRoute(tokens, read, {
    method: "get",
    path: "/nginx/certificates",
    summary: "List certificates",
    description: PAGE_DESCRIPTION,
    tags,
    request: { query: PageQuerySchema },
    responses: { 200: pageResponse(CertificateListSchema, "A page of certificates") },
  });
  const create = protectedRoute(tokens, write, {
    method: "post",
    path: "/nginx/certificates",
    summary: "Request a Let's Encrypt certificate (stored as pending; issuance follows)",
    description:
      "`meta.dns_provider` names a provider type, `meta.dns_provider_id` one provider; a type that several providers have is a 400 asking for the id.",
    tags,
    request: { body: jsonBody(CertificateCreateSchema) },
    responses: { 201: jsonResponse(CertificateSchema, "The requested certificate") },
  });
  const get = protectedRoute(tokens, read, {
    method: "get",
    path: "/nginx/certificates/{id}",
    summary: "A certificate",
    tags,
    request: { params: IdParamsSchema },
    responses: { 200: jsonResponse(CertificateSchema, "The certificate") },
  });
  const remove = protectedRoute(tokens, { resource: "certificates", access: "write" }, {
    method: "delete",
    path: "/nginx/certificates/{id}",
    summary: "Delete a certificate that no proxy host uses (409 otherwise)",
    tags,
    request: { params: IdParamsSchema },
    responses: { 200: jsonResponse(DeletedSchema, "Deleted") },
  });
  const renew = protectedRoute(tokens, write, {
    method: "post",
    path: "/nginx/certificates/{id}/renew",
    summary: "Ask for the certificate to be renewed",
    tags,
    request: { params: IdParamsSchema },
    responses: { 200: jsonResponse(CertificateSchema, "The certificate, with renewal_requested_at set") },
  });

  return routeGroup()
    .openapi(list, async (c) => {
      const page = await certificates.list(c.req.valid("query"));
      return c.json(page.items.map((item) => certificateFor(c.get("principal"), item)), 200, nextPageHeaders(page.cursor));
    })
    .openapi(create, async (c) => c.json(certificateFor(c.get("principal"), await certificates.create(actorOf(c), c.req.valid("json"))), 201))
    .openapi(get, async (c) => c.json(certificateFor(c.get("principal"), await certificates.get(c.req.valid("param").id)), 200))
    .openapi(remove, async (c) => {
      const { id } = c.req.valid("param");
      await certificates.delete(actorOf(c), id);
      return c.json({ id, deleted: true as const }, 200);
    })
    .openapi(renew, async (c) => c.json(certificateFor(c.get("principal"), await certificates.requestRenewal(actorOf(c), c.req.valid("param").id)), 200));
}
