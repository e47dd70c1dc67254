import { OpenAPIHono } from "@hono/zod-openapi";
import { swaggerUI } from "@hono/swagger-ui";
import { bodyLimit } from "hono/body-limit";
import { PayloadTooLargeError } from "@charon/core";
import type { AppServices } from "@charon/runtime";
import type { AppEnv } from "./env.js";
import { errorResponder, methodNotAllowed, notFoundResponder } from "./errors.js";
import type { Logger } from "./logger.js";
import { clientAddress } from "./middleware/client-address.js";
import { jsonBody } from "./middleware/json-body.js";
import { requestId } from "./middleware/request-id.js";
import { auditLogRoutes } from "./routes/audit-logs.js";
import { certificateRoutes } from "./routes/certificates.js";
import { dnsProviderRoutes } from "./routes/dns-providers.js";
import { healthRoutes } from "./routes/health.js";
import { proxyHostRoutes } from "./routes/proxy-hosts.js";
import { securityRoutes } from "./routes/security.js";
import { settingsRoutes } from "./routes/settings.js";
import { tokenRoutes } from "./routes/tokens.js";
import { FREE_FORM_VALUE_COMPONENT } from "./schemas/json.js";


export interface AppOptions {
  services: AppServices;
  logger: Logger;
  /** Reverse proxies in front of the Node server whose X-Forwarded-For is believed (CHARON_TRUSTED_PROXIES). */
  trustedProxies?: readonly string[];
}

/** Request bodies larger than this are refused before parsing (413). */
export const MAX_BODY_BYTES = 256 * 1024;

export function createApp({ services, logger, trustedProxies }: AppOptions) {
  // Routes are declared on their groups (routing.ts), whose hook turns validation failures into 400s.
  const app = new OpenAPIHono<AppEnv>();
  app.use("*", requestId());
  app.use("*", clientAddress(trustedProxies));
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new PayloadTooLargeError(MAX_BODY_BYTES);
      },
    }),
  );
  app.use("*", jsonBody());
  app.use("*", methodNotAllowed(() => app.routes));
  app.onError(errorResponder(logger));
  app.notFound(notFoundResponder);

  const api = new OpenAPIHono<AppEnv>();
  api.route("/", healthRoutes());
  api.route("/", tokenRoutes(services.tokens));
  api.route("/", proxyHostRoutes(services.tokens, services.proxyHosts));
  api.route("/", certificateRoutes(services.tokens, services.certificates));
  api.route("/", securityRoutes(services.tokens, services.security));
  api.route("/", settingsRoutes(services.tokens, services.settings));
  // One DNS provider collection, reachable under both paths (api-conventions.md).
  const dnsProviders = dnsProviderRoutes(services.tokens, services);
  api.route("/nginx/dns-providers", dnsProviders);
  api.route("/v1/dns-providers", dnsProviders);
  api.route("/", auditLogRoutes(services.tokens, services.auditLog));
  app.route("/api", api);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An API token: `Authorization: Bearer chrn_…`",
  });
  app.openAPIRegistry.registerComponent("schemas", FREE_FORM_VALUE_COMPONENT.name, FREE_FORM_VALUE_COMPONENT.schema);
  // Generated on request, not at start-up: a cold Lambda pays nothing for the document.
  app.doc31("/api/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Charon API",
      version: "1.0.0",
      description: "Proxy hosts, certificates, DNS providers and their credentials, security state.",
    },
  });
  app.get("/api/docs", swaggerUI({ url: "/api/openapi.json" }));
  return app;
}

export type App = ReturnType<typeof createApp>;
