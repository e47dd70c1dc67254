import {
  certificateSummaryFor,
  type NewProxyHost,
  type Principal,
  type ProxyHostDetails,
  type ProxyHostPatch,
  type ProxyHostService,
  type TokenService,
} from "@charon/core";
import { actorOf } from "../actor.js";
import { protectedRoute, routeGroup, type BodyAccess } from "../routing.js";
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
import {
  ProxyHostCreateSchema,
  ProxyHostListSchema,
  ProxyHostSchema,
  ProxyHostUpdateSchema,
} from "../schemas/proxy-hosts.js";

export function proxyHostRoutes(tokens: TokenService, hosts: ProxyHostService) {
  const tags = ["Proxy hosts"];
  // Answers embed the host's certificate (and through it its DNS provider and credentials).
  const embeds = ["certificates", "dns_providers"] as const;
  const read = { resource: "proxy_hosts", access: "read", embeds } as const;
  const write = { resource: "proxy_hosts", access: "write", embeds } as const;
  const writeWithCertificate = { ...write, requires: [NEW_CERTIFICATE] };
  const one = jsonResponse(ProxyHostSchema, "The proxy host, with its certificate's summary");

  const list = protectedRoute(tokens, read, {
    method: "get",
    path: "/nginx/proxy-hosts",
    summary: "List proxy hosts",
    description: PAGE_DESCRIPTION,
    tags,
    request: { query: PageQuerySchema },
    responses: { 200: pageResponse(ProxyHostListSchema, "A page of proxy hosts") },
  });
  const create = protectedRoute(tokens, writeWithCertificate, {
    method: "post",
    path: "/nginx/proxy-hosts",
    summary: "Create a proxy host",
    description:
      'Domain names are normalised (lower-case A-labels); a name another host serves is a 409. `certificate_id: "new"` requests a certificate for the names, which needs `certificates` write too. ' +
      "`meta` holds no `dns_provider_credentials`: credentials belong to DNS providers.",
    tags,
    request: { body: jsonBody(acceptingReadOnly(ProxyHostCreateSchema, HOST_READ_ONLY, "ProxyHostCreate")) },
    responses: { 201: jsonResponse(ProxyHostSchema, "The new proxy host") },
  });
  const get = protectedRoute(tokens, read, {
    method: "get",
    path: "/nginx/proxy-hosts/{id}",
    summary: "A proxy host, with its certificate's status and the DNS credential used",
    tags,
    request: { params: IdParamsSchema },
    responses: { 200: one },
  });
  const update = protectedRoute(tokens, writeWithCertificate, {
    method: "put",
    path: "/nginx/proxy-hosts/{id}",
    summary: "Change a proxy host: only the fields given change",
    description: '`certificate_id: "new"` requests a certificate for the names, which needs `certificates` write too.',
    tags,
    request: { params: IdParamsSchema, body: jsonBody(acceptingReadOnly(ProxyHostUpdateSchema, HOST_READ_ONLY, "ProxyHostUpdate")) },
    responses: { 200: one },
  });
  const remove = protectedRoute(tokens, { resource: "proxy_hosts", access: "write" }, {
    method: "delete",
    path: "/nginx/proxy-hosts/{id}",
    summary: "Delete a proxy host",
    tags,
    request: { params: IdParamsSchema },
    responses: { 200: jsonResponse(DeletedSchema, "Deleted") },
  });
  const enable = protectedRoute(tokens, write, {
    method: "post",
    path: "/nginx/proxy-hosts/{id}/enable",
    summary: "Enable a proxy host",
    tags,
    request: { params: IdParamsSchema },
    responses: { 200: one },
  });
  const disable = protectedRoute(tokens, write, {
    method: "post",
    path: "/nginx/proxy-hosts/{id}/disable",
    summary: "Disable a proxy host",
    tags,
    request: { params: IdParamsSchema },
    responses: { 200: one },
  });

  return routeGroup()
    .openapi(list, async (c) => {
      const page = await hosts.list(c.req.valid("query"));
      return c.json(page.items.map((host) => hostView(c.get("principal"), host)), 200, nextPageHeaders(page.cursor));
    })
    .openapi(create, async (c) => c.json(hostView(c.get("principal"), await hosts.create(actorOf(c), c.req.valid("json") as NewProxyHost)), 201))
    .openapi(get, async (c) => c.json(hostView(c.get("principal"), await hosts.get(c.req.valid("param").id)), 200))
    .openapi(update, async (c) =>
      c.json(hostView(c.get("principal"), await hosts.update(actorOf(c), c.req.valid("param").id, c.req.valid("json") as ProxyHostPatch)), 200),
    )
    .openapi(remove, async (c) => {
      const { id } = c.req.valid("param");
      await hosts.delete(actorOf(c), id);
      return c.json({ id, deleted: true as const }, 200);
    })
    .openapi(enable, async (c) => c.json(hostView(c.get("principal"), await hosts.setEnabled(actorOf(c), c.req.valid("param").id, true)), 200))
    .openapi(disable, async (c) => c.json(hostView(c.get("principal"), await hosts.setEnabled(actorOf(c), c.req.valid("param").id, false)), 200));
}

/** What a host's GET shows that a write does not set. */
const HOST_READ_ONLY = ["id", "created_on", "modified_on", "certificate"];

/** `certificate_id: "new"` creates a certificate: the certificate routes' own permission. */
const NEW_CERTIFICATE: BodyAccess = {
  resource: "certificates",
  access: "write",
  when: 'certificate_id is "new"',
  applies: (body) => body["certificate_id"] === "new",
};

/** The stored `version` (optimistic concurrency) is internal; the certificate as `principal` may see it. */
function hostView(principal: Principal, { version: _version, certificate, ...host }: ProxyHostDetails) {
  return { ...host, certificate: certificateSummaryFor(principal, certificate) };
}
