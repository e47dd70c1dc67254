import { z } from "@hono/zod-openapi";
import { CERTIFICATE_STATUSES, FORWARD_PATH, MAX_DOMAIN_NAMES } from "@charon/core";
import { DomainNameSchema, FORWARD_HOST_DOCUMENT } from "./common.js";
import { FreeFormObjectSchema } from "./json.js";
import { multiLine } from "./strings.js";

// The exact rules (host name, IPv4, IPv6; canonical forms) are core's (proxy-hosts/upstream.ts);
// the pattern here states the characters they can ever accept.
const forwardHost = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9._:[\]/~%!&()*+,=@\xA0-\uFFFF-]+$/, "must be a host name or IP address, without spaces or control characters")
  .openapi({
    ...FORWARD_HOST_DOCUMENT,
    description:
      "A host name (letters, digits, '-', '_'; stored as lower-case A-labels), an IPv4 address, or an IPv6 address " +
      "(stored in RFC 5952 form without brackets: `[2001:DB8::20]` → `2001:db8::20`). A port belongs in `forward_port`, " +
      "a path in `forward_path` (a location also accepts Nginx Proxy Manager's `192.168.100.12/zabbix/`, stored split).",
    example: "10.0.0.5",
  });
const forwardPort = z.number().int().min(1).max(65535).openapi({ example: 3000 });
const forwardScheme = z.enum(["http", "https"]);
const forwardPath = z
  .string()
  .max(1024)
  .regex(FORWARD_PATH, "must be a URI path such as /app/ (letters, digits, - . _ ~ ! & ( ) * + , = : @ / and %XX escapes)")
  .openapi({ description: 'The path the upstream is asked for in place of the matched prefix (`proxy_pass http://host:port/app/`); "" for none', example: "/app/" });
const advancedConfig = multiLine(65536).openapi({ description: "Raw proxy configuration: tabs and line breaks allowed, no other control character" });

const LocationSchema = z
  .strictObject({
    path: z
      .string()
      .min(1)
      .max(1024)
      // eslint-disable-next-line no-control-regex -- control characters are what it refuses
      .regex(/^(?:=|\^~|~\*?)? ?[^\s{};"'`#\x00-\x1F\x7F-\x9F]+$/, "must be a URI prefix or a modifier (=, ^~, ~, ~*), one space and a pattern, without white space, braces, ';', quotes or '#'")
      .openapi({
        description:
          "A URI prefix (`/api/`), or an nginx modifier (`=`, `^~`, `~`, `~*`), one space and its pattern (`~* \\.php$`). Two locations nginx would call duplicates are a 400.",
        example: "/api/",
      }),
    forward_scheme: forwardScheme.default("http"),
    forward_host: forwardHost,
    forward_port: forwardPort,
    forward_path: forwardPath.optional(),
    advanced_config: advancedConfig.default(""),
  })
  .openapi("ProxyLocation");

/**
 * Secret material never lives on a host: credentials belong to DNS providers. (No `.openapi()`
 * here: the refinement shares FreeFormObject's entry in the document, which would take it over.)
 */
const HostMetaSchema = FreeFormObjectSchema.refine((meta) => !("dns_provider_credentials" in meta), {
  message: "DNS credentials are not stored on hosts; add them to a DNS provider (/api/v1/dns-providers)",
});

/** The fields a create or update may give, each validated on its own. */
const hostFields = {
  domain_names: z.array(DomainNameSchema).min(1).max(MAX_DOMAIN_NAMES),
  forward_scheme: forwardScheme,
  forward_host: forwardHost,
  forward_port: forwardPort,
  forward_path: forwardPath,
  certificate_id: z.union([z.number().int().min(0), z.literal("new")]).openapi({
    description:
      'A certificate id, 0 for none, or "new" to request one for the host\'s names. An id that names no certificate is a 404; a certificate must cover every one of the host\'s names (409 listing the others in `uncovered_domain_names`).',
    example: 1,
  }),
  ssl_forced: z.boolean(),
  hsts_enabled: z.boolean(),
  hsts_subdomains: z.boolean(),
  http2_support: z.boolean(),
  block_exploits: z.boolean(),
  caching_enabled: z.boolean(),
  allow_websocket_upgrade: z.boolean(),
  advanced_config: advancedConfig,
  enabled: z.boolean(),
  locations: z.array(LocationSchema).max(100),
  meta: HostMetaSchema,
  waf_enabled: z.boolean(),
  waf_mode: z.enum(["block", "monitor"]),
};

export const ProxyHostCreateSchema = z
  .strictObject({
    ...Object.fromEntries(Object.entries(hostFields).map(([k, v]) => [k, v.optional()])),
    domain_names: hostFields.domain_names,
    forward_host: hostFields.forward_host,
    forward_port: hostFields.forward_port,
  } as { [K in keyof typeof hostFields]: K extends "domain_names" | "forward_host" | "forward_port" ? (typeof hostFields)[K] : z.ZodOptional<(typeof hostFields)[K]> })
  .openapi("ProxyHostCreate", {
    example: { domain_names: ["app.example.com"], forward_host: "10.0.0.5", forward_port: 3000, ssl_forced: true, certificate_id: 1 },
  });

/** `PUT` is partial: only the fields given change. */
export const ProxyHostUpdateSchema = z
  .strictObject(
    Object.fromEntries(Object.entries(hostFields).map(([k, v]) => [k, v.optional()])) as {
      [K in keyof typeof hostFields]: z.ZodOptional<(typeof hostFields)[K]>;
    },
  )
  .openapi("ProxyHostUpdate", { example: { forward_port: 8080 } });

/** Embedded DNS-side objects: their names only for tokens that may read DNS providers (ids otherwise). */
const forDnsReaders = { description: "Only for tokens that may read DNS providers" };

const ProviderSummarySchema = z
  .object({ id: z.number().int(), type: z.string().optional().openapi(forDnsReaders), name: z.string().optional().openapi(forDnsReaders) })
  .openapi("DnsProviderSummary");

export const CertificateCredentialSchema = z
  .object({ domain: z.string(), credential_id: z.number().int(), credential_name: z.string().optional().openapi(forDnsReaders) })
  .openapi("CertificateCredential");

export const CertificateSummarySchema = z
  .object({
    id: z.number().int(),
    nice_name: z.string(),
    status: z.enum(CERTIFICATE_STATUSES),
    expires_on: z.string().nullable(),
    last_renewed_at: z.string().nullable(),
    dns_provider: ProviderSummarySchema.nullable(),
    credentials: z.array(CertificateCredentialSchema),
    issued_using: z
      .string()
      .nullable()
      .openapi({ description: "Null too for tokens that may not read DNS providers", example: "Issued using credential: Production" }),
  })
  .openapi("CertificateSummary");

export { ProviderSummarySchema };

export const ProxyHostSchema = z
  .object({
    id: z.number().int(),
    created_on: z.string(),
    modified_on: z.string(),
    domain_names: z.array(z.string()),
    forward_scheme: forwardScheme,
    forward_host: z.string(),
    forward_port: z.number().int(),
    forward_path: z.string(),
    certificate_id: z.number().int(),
    ssl_forced: z.boolean(),
    hsts_enabled: z.boolean(),
    hsts_subdomains: z.boolean(),
    http2_support: z.boolean(),
    block_exploits: z.boolean(),
    caching_enabled: z.boolean(),
    allow_websocket_upgrade: z.boolean(),
    advanced_config: z.string(),
    enabled: z.boolean(),
    locations: z.array(
      z.object({
        path: z.string(),
        forward_scheme: forwardScheme,
        forward_host: z.string(),
        forward_port: z.number().int(),
        forward_path: z.string(),
        advanced_config: z.string(),
      }),
    ),
    meta: z
      .object({
        nginx_online: z.boolean().openapi({
          description:
            "Whether the proxy agents serve the host's current version (Nginx Proxy Manager's field), from their last reports: " +
            "true when at least one agent that applied this version serves it and none failed it; false when one failed it (see `nginx_err`), " +
            "when no agent has applied this version yet (`nginx_err` null: NPM's Offline without an error), and for a disabled host. An agent silent for 5 minutes (it reports every minute) no longer counts. Derived, never stored: a write's value is ignored.",
        }),
        nginx_err: z.string().nullable().openapi({
          description: "The proxy's own error line for the host, prefixed with the agent's id (`edge-2: [emerg] …`); null when none failed it. Derived, like `nginx_online`.",
          example: 'edge-1: [emerg] unknown directive "x" in hosts/7.conf:14',
        }),
      })
      .catchall(z.unknown())
      .openapi({ description: "What the host's writes gave in `meta`, and its state at the edge" }),
    waf_enabled: z.boolean(),
    waf_mode: z.enum(["block", "monitor"]),
    certificate: CertificateSummarySchema.nullable().openapi({
      description: "Null when the host has none, and for tokens that may not read certificates (`certificate_id` names it)",
    }),
  })
  .openapi("ProxyHost");

export const ProxyHostListSchema = z.array(ProxyHostSchema).openapi("ProxyHostList");
