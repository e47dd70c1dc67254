import { z } from "@hono/zod-openapi";
import { strToU8, zipSync } from "fflate";
import { certificateFor, type CertificateFiles, type CertificateService, type RenewalService, type TokenService } from "@charon/core";
import { actorOf } from "../actor.js";
import { protectedRoute, routeGroup } from "../routing.js";
import { CERTIFICATE_CHALLENGE_RULE, CertificateCreateSchema, CertificateListSchema, CertificateSchema } from "../schemas/certificates.js";
import {
  DeletedSchema,
  IdParamsSchema,
  acceptingReadOnly,
  PAGE_DESCRIPTION,
  PageQuerySchema,
  jsonBody,
  jsonResponse,
  nextPageHeaders,
  pageResponse,
} from "../schemas/common.js";

export function certificateRoutes(tokens: TokenService, certificates: CertificateService, renewals?: RenewalService) {
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
      "`meta.dns_provider` names a provider type, `meta.dns_provider_id` one provider (with `dns_challenge` true or left out); without either, " +
      "no name may be a wildcard. A provider id that names nothing is a 404; a type no provider has, a type that several providers have " +
      "(give the id), or a type and an id that disagree are a 409.",
    tags,
    request: { body: jsonBody(acceptingReadOnly(CertificateCreateSchema, CERTIFICATE_READ_ONLY, "CertificateCreate", CERTIFICATE_CHALLENGE_RULE)) },
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
    summary: "Renew the certificate now",
    description:
      "Records the request (`renewal_requested_at`, an audit entry) and opens an order at once, skipping the wait after failed renewals " +
      "(`renewal_retry_at`) but not the limit of 5 failed orders per name per hour, whether the CA refused a validation or the DNS provider failed (429 with `Retry-After`). The certificate in service " +
      "stays in service until its successor is stored; an order already running is kept (its `step` shows it). A certificate never issued has its issuance tried again.",
    tags,
    request: { params: IdParamsSchema },
    responses: { 200: jsonResponse(CertificateSchema, "The certificate, with renewal_requested_at set and `step` while the order runs") },
  });

  const download = protectedRoute(
    tokens,
    { resource: "certificates", access: "write", subject: "certificates: the download holds the private key, so it needs certificates write" },
    {
      method: "get",
      path: "/nginx/certificates/{id}/download",
      summary: "The issued certificate as Nginx Proxy Manager's download: a zip of cert.pem, chain.pem, fullchain.pem, privkey.pem",
      description:
        "The certificate in service (a renewal in progress does not change it). It holds the private key, so it needs `certificates` write. 404 until the certificate has been issued.",
      tags,
      request: { params: IdParamsSchema },
      responses: {
        200: {
          description: "A zip archive (`<nice name>.zip`)",
          content: { "application/zip": { schema: z.string().openapi({ format: "binary" }) } },
        },
      },
    },
  );

  return routeGroup()
    .openapi(download, async (c) => {
      const { id } = c.req.valid("param");
      const archive = zipFiles(await certificates.files(id));
      return c.body(archive, 200, {
        "Content-Type": "application/zip",
        "Content-Disposition": `attachment; filename="certificate-${id}.zip"`,
        "Cache-Control": "no-store",
      });
    })
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
    .openapi(renew, async (c) => {
      const id = c.req.valid("param").id;
      const certificate = renewals ? await renewals.renewNow(actorOf(c), id) : await certificates.requestRenewal(actorOf(c), id);
      return c.json(certificateFor(c.get("principal"), certificate), 200);
    });
}

/** NPM's layout: the leaf, its issuers, both together, and the key (PEM each). */
function zipFiles(files: CertificateFiles): Uint8Array<ArrayBuffer> {
  const zipped = zipSync({
    "cert.pem": strToU8(files.certificatePem),
    "chain.pem": strToU8(files.chainPem),
    "fullchain.pem": strToU8(files.certificatePem + files.chainPem),
    "privkey.pem": strToU8(files.privateKeyPem),
  });
  return new Uint8Array(zipped);
}

/** What a certificate's GET shows that a create does not set (its state, issuance, DNS side). */
const CERTIFICATE_READ_ONLY = [
  "id",
  "status",
  "expires_on",
  "created_on",
  "modified_on",
  "last_renewed_at",
  "renewal_requested_at",
  "dns_provider",
  "credentials",
  "issued_at",
  "serial",
  "issuer",
  "key_type",
  "step",
  "error",
  "validations",
  "ari_cert_id",
  "renewal_due_at",
  "renewal_due_source",
  "renewal_explanation_url",
  "renewal_info_check_at",
  "renewal_retry_at",
  "renewal_failures",
];
