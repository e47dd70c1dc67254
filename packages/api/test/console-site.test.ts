/**
 * `npm start`'s one origin: the built console at `/` (its files, their content types and cache
 * headers, client routes falling back to index.html, nothing outside the folder) and the API at
 * `/api`, served over HTTP as server.ts serves them.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { listen, SERVER_TIMEOUTS } from "@charon/api";
import { withConsole } from "../src/console-site.js";
import { testApi } from "../../../test/support/api.js";

const root = await mkdtemp(join(tmpdir(), "charon-console-"));
const dist = join(root, "dist");
await mkdir(join(dist, "assets"), { recursive: true });
const INDEX = `<!doctype html><html lang="en"><head><script type="module" src="/assets/main-4F2A.js"></script></head><body><div id="app"></div></body></html>`;
await writeFile(join(dist, "index.html"), INDEX);
await writeFile(join(dist, "assets", "main-4F2A.js"), "export const console = 1;\n");
await writeFile(join(dist, "assets", "main-4F2A.css"), "body { margin: 0 }\n");
// Beside the folder, never to be served.
await writeFile(join(root, "secret.txt"), "SECRET-OUTSIDE-DIST\n");

const api = await testApi({ standardDns: false });
const started = await serve(withConsole(api.app, dist));
const missingBuild = await serve(withConsole(api.app, join(root, "not-built")));
afterAll(async () => {
  started.server.close();
  missingBuild.server.close();
  await api.stop();
  await rm(root, { recursive: true, force: true });
});

async function serve(fetch: ReturnType<typeof withConsole>) {
  const server = await new Promise<ReturnType<typeof listen>>((resolve) => {
    const s = listen(fetch, { host: "127.0.0.1", port: 0, timeouts: SERVER_TIMEOUTS }, () => resolve(s));
  });
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A request with the path exactly as given (fetch would normalise `..` away before sending). */
function raw(origin: string, path: string, method = "GET"): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: hostname, port, path, method }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    request.on("error", reject);
    request.end();
  });
}

describe("the console at / beside the API at /api", () => {
  it("serves index.html at / with the console's security headers, revalidated on every load", async () => {
    const response = await fetch(`${started.origin}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await response.text()).toBe(INDEX);
    expect(response.headers.get("cache-control")).toBe("no-cache");
    const csp = response.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
  });

  it("serves the hashed bundles with their content types, cached for a year", async () => {
    const script = await fetch(`${started.origin}/assets/main-4F2A.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(script.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await script.text()).toBe("export const console = 1;\n");
    const style = await fetch(`${started.origin}/assets/main-4F2A.css`);
    expect(style.headers.get("content-type")).toMatch(/^text\/css/);
    expect(style.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("answers a client-side route with index.html, and a missing bundle with 404", async () => {
    for (const path of ["/dns-providers/1/credentials", "/certificates", "/sign-in?next=%2Faudit"]) {
      const response = await fetch(`${started.origin}${path}`);
      expect(response.status, path).toBe(200);
      expect(await response.text(), path).toBe(INDEX);
    }
    const missing = await fetch(`${started.origin}/assets/main-0000.js`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).not.toContain("<html");
  });

  it("never reads outside the folder", async () => {
    for (const path of ["/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/assets/..%2f..%2fsecret.txt", "/..%5csecret.txt", "/assets/%2e%2e/%2e%2e/secret.txt", "//secret.txt"]) {
      const response = await raw(started.origin, path);
      expect(response.body, path).not.toContain("SECRET-OUTSIDE-DIST");
      expect([200, 400, 404], path).toContain(response.status);
    }
  });

  it("leaves /api to the API: its JSON, its 404s and its methods", async () => {
    const health = await fetch(`${started.origin}/api/health`);
    expect(await health.json()).toEqual({ status: "ok" });
    // Per-caller answers: no cache (nor CloudFront in front) may keep them.
    expect(health.headers.get("cache-control")).toBe("no-store");
    expect(health.headers.get("content-security-policy")).toBeNull();
    const unknown = await fetch(`${started.origin}/api/no-such-route`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: "Not found" });
    const created = await fetch(`${started.origin}/api/v1/sessions`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: started.origin },
      body: JSON.stringify({ token: api.tokens.full }),
    });
    expect(created.status).toBe(201);
    // A path that merely starts with the letters is the console's.
    expect(await (await fetch(`${started.origin}/apis`)).text()).toBe(INDEX);
  });

  it("refuses other methods on the console's paths", async () => {
    const response = await fetch(`${started.origin}/dns-providers`, { method: "POST", body: "x" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
  });

  it("says how to build the console when it is not built, and still serves the API", async () => {
    const response = await fetch(`${missingBuild.origin}/`);
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await response.text()).toContain("npm run build --workspace=packages/console");
    expect((await fetch(`${missingBuild.origin}/api/health`)).status).toBe(200);
  });
});
