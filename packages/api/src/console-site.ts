/**
 * The web console under `npm start`: the built files of `packages/console/dist` at `/`, beside the
 * API at `/api`, one origin (so the session cookie is first-party and no CORS is needed). On AWS
 * CloudFront serves the same files (stacks/console.ts). Node only: Lambda never serves it.
 */
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono, type MiddlewareHandler } from "hono";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CONSOLE_SECURITY_HEADERS } from "./console-headers.js";

/** Bundles whose names carry a content hash (`assets/main-<hash>.js`): a new build has new names. */
const HASHED_ASSETS = "/assets/";
const IMMUTABLE = "public, max-age=31536000, immutable";
/** `index.html` names the current bundles, so it is revalidated on every load. */
const REVALIDATE = "no-cache";

/** The API's own paths: everything else is the console's. */
export function isApiPath(path: string): boolean {
  return path === "/api" || path.startsWith("/api/");
}

type Fetch = (request: Request, env?: unknown) => Response | Promise<Response>;

/** One origin: `/api` and below to the API's `fetch`, every other path to the console's files. */
export function withConsole(api: { fetch: Fetch }, distDirectory: string): Fetch {
  const site = consoleSite(distDirectory);
  return (request, env) => (isApiPath(new URL(request.url).pathname) ? api.fetch(request, env) : site.fetch(request, env));
}

/**
 * The console's files from `distDirectory` with their content types; bundles under `/assets/`
 * cached for a year, anything else revalidated; an unknown path (a client-side route such as
 * `/dns-providers/1`) answered with `index.html`, except under `/assets/` (404). Nothing outside
 * the folder is ever read (`..`, encoded separators and backslashes are refused as paths). Every
 * answer carries the console's security headers. Without a build, a short page says how to make one.
 */
export function consoleSite(distDirectory: string) {
  const index = join(distDirectory, "index.html");
  const site = new Hono();
  let files: MiddlewareHandler | undefined;
  site.use("*", async (c, next) => {
    for (const [name, value] of Object.entries(CONSOLE_SECURITY_HEADERS)) c.header(name, value);
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      c.header("Allow", "GET, HEAD");
      return c.text("The console's pages are read with GET; the API is at /api", 405);
    }
    if (!existsSync(index)) return c.html(NOT_BUILT, 503);
    c.header("Cache-Control", c.req.path.startsWith(HASHED_ASSETS) ? IMMUTABLE : REVALIDATE);
    // Made once the folder exists: serveStatic complains at creation about a missing root.
    files ??= serveStatic({ root: distDirectory });
    return files(c, next);
  });
  site.get(`${HASHED_ASSETS}*`, (c) => c.text("Not found", 404, { "Cache-Control": REVALIDATE }));
  site.get("*", async (c) => c.html(await readFile(index, "utf8"), 200, { "Cache-Control": REVALIDATE }));
  return site;
}

const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Charon: console not built</title></head>
<body>
<h1>The console is not built</h1>
<p>Build it with <code>npm run build --workspace=packages/console</code> (<code>npm start</code> does it
before starting), then reload. The API is at <a href="/api/docs">/api/docs</a>.</p>
</body>
</html>
`;
