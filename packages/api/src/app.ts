import { OpenAPIHono } from "@hono/zod-openapi";
import { swaggerUI } from "@hono/swagger-ui";
import type { AppServices } from "@charon/runtime";
import type { AppEnv } from "./env.js";
import { createBaseApp, type BaseAppOptions } from "./base-app.js";
import { agentRoutes } from "./routes/agents.js";
import { auditLogRoutes } from "./routes/audit-logs.js";
import { certificateRoutes } from "./routes/certificates.js";
import { certificateSummaryRoutes } from "./routes/certificate-summary.js";
import { dnsProviderRoutes } from "./routes/dns-providers.js";
import { healthRoutes } from "./routes/health.js";
import { notificationRoutes } from "./routes/notifications.js";
import { proxyHostRoutes } from "./routes/proxy-hosts.js";
import { renewalRoutes } from "./routes/renewals.js";
import { securityRoutes } from "./routes/security.js";
import { sessionRoutes } from "./routes/sessions.js";
import { settingsRoutes } from "./routes/settings.js";
import { tokenRoutes } from "./routes/tokens.js";
import { FREE_FORM_VALUE_COMPONENT } from "./schemas/json.js";
import { CSRF_HEADER } from "./middleware/csrf.js";
import { SESSION_COOKIE } from "./middleware/session-cookie.js";


export { MAX_BODY_BYTES } from "./base-app.js";

export interface AppOptions extends BaseAppOptions {
  services: AppServices;
}

/** The whole API: every route group over the services, and its OpenAPI document. */
export function createApp({ services, ...options }: AppOptions) {
  // Routes are declared on their groups (routing.ts), whose hook turns validation failures into 400s.
  const app = createBaseApp(options);
  const api = new OpenAPIHono<AppEnv>();
  api.route("/", healthRoutes());
  api.route("/", tokenRoutes(services.tokens));
  api.route("/", sessionRoutes(services.tokens));
  api.route("/", proxyHostRoutes(services.tokens, services.proxyHosts));
  api.route("/", certificateRoutes(services.tokens, services.certificates, services.renewals));
  api.route("/", renewalRoutes(services.tokens, services.renewals, services.notifications));
  api.route("/", securityRoutes(services.tokens, services.security));
  api.route("/", settingsRoutes(services.tokens, services.settings));
  // One DNS provider collection, reachable under both paths (api-conventions.md).
  const dnsProviders = dnsProviderRoutes(services.tokens, services);
  api.route("/nginx/dns-providers", dnsProviders);
  api.route("/v1/dns-providers", dnsProviders);
  api.route("/", auditLogRoutes(services.tokens, services.auditLog));
  api.route("/", agentRoutes(services.tokens, services.agents));
  api.route("/", notificationRoutes(services.tokens, services.notifications));
  api.route("/", certificateSummaryRoutes(services.tokens, services.certificates));
  app.route("/api", api);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An API token: `Authorization: Bearer chrn_…`",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "sessionCookie", {
    type: "apiKey",
    in: "cookie",
    name: SESSION_COOKIE,
    description:
      "The console's session (`POST /api/v1/sessions` exchanges a token for it), in place of a bearer token, with exactly that " +
      `token's rights. CSRF rule: a cookie request whose method is not GET, HEAD or OPTIONS must send \`${CSRF_HEADER}\` with ` +
      "the session's `csrf_token`, and, when the browser sends them, `Origin` must be the API's own origin and " +
      "`Sec-Fetch-Site` must be `same-origin`; otherwise 403 naming what is missing or wrong. A request with `Authorization` " +
      "is judged by its token alone.",
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
