import { CONSOLE_SECURITY_HEADERS } from "@charon/api/console-headers";
import type { Platform } from "./platform.js";

/** The console's package, built by its own `build` script into `dist/` (what `npm start` serves too). */
export const CONSOLE_PACKAGE = "packages/console";

/**
 * The console and the API on one CloudFront distribution (SST's Router), as `npm start` serves
 * them on one origin: `/api` and below go to the HTTP API, path unchanged; everything else is the
 * console's files (SST's StaticSite, built from `packages/console` and uploaded to S3), whose
 * client routes are answered with its index page. One origin keeps the session cookie first-party
 * (`SameSite=Strict` holds) and needs no CORS; the router's viewer-request function sets
 * `X-Forwarded-Host`, the origin the API's CSRF check compares `Origin` with. Hashed bundles are
 * cached for a year, everything else revalidated; every console answer carries the same security
 * headers as under `npm start` (CONSOLE_SECURITY_HEADERS).
 */
export function webConsole(platform: Platform, api: { url: unknown }) {
  const router = new platform.aws.Router("Router");
  router.route("/api", api.url);
  const site = new platform.aws.StaticSite("Console", {
    path: CONSOLE_PACKAGE,
    build: { command: "npm run build", output: "dist" },
    router: { instance: router },
    assets: {
      // Later entries win: bundles under assets/ carry a content hash in their names.
      fileOptions: [
        { files: "**", cacheControl: "no-cache" },
        { files: "assets/**", cacheControl: "public,max-age=31536000,immutable" },
      ],
    },
    edge: { viewerResponse: { injection: securityHeadersInjection() } },
  });
  return { router, site };
}

/** CloudFront Functions code setting each console header on the response (`{ value }` per lower-case name). */
function securityHeadersInjection(): string {
  return Object.entries(CONSOLE_SECURITY_HEADERS)
    .map(([name, value]) => `event.response.headers[${JSON.stringify(name.toLowerCase())}] = { value: ${JSON.stringify(value)} };`)
    .join("\n");
}
