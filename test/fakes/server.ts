import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HeldRequests, type Faults } from "./faults.js";

export interface StartedServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  stop(): Promise<void>;
}

export interface FakeRequest {
  method: string;
  url: URL;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface FakeResponse {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

/**
 * Serves `handle` on a free loopback port, applying the faults planned in `faults` first:
 * an injected answer replaces the handler's, a hang plan holds the request and never answers it.
 * `stop()` drops open connections and releases held requests.
 */
export async function serveFake(faults: Faults, handle: (request: FakeRequest) => FakeResponse | Promise<FakeResponse>): Promise<StartedServer> {
  const held = new HeldRequests();
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const body = await readBody(req);
      const method = req.method ?? "GET";
      const plan = faults.take(method, url);
      if (plan?.kind === "respond") return send(res, plan.response);
      if (plan?.kind === "hang") {
        await held.hold();
        if (res.destroyed) return;
      }
      const host = req.headers.host ?? "127.0.0.1";
      send(res, await handle({ method, url: new URL(url.pathname + url.search, `http://${host}`), headers: req.headers, body }));
    })().catch((error: unknown) => {
      send(res, { status: 500, body: `fake server error: ${String(error)}`, headers: { "content-type": "text/plain" } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        held.releaseAll();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, response: FakeResponse): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(response.status, response.headers ?? {});
  res.end(response.body ?? "");
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): FakeResponse {
  return { status, body: JSON.stringify(body), headers: { "content-type": "application/json", ...headers } };
}

/** Parses a JSON request body; undefined when it is not JSON. */
export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** `page` and `per_page` query parameters, clamped into the API's bounds. */
export function paging(url: URL, defaults: { perPage: number; min: number; max: number }): { page: number; perPage: number } {
  const page = Math.max(1, Math.floor(Number(url.searchParams.get("page") ?? "1")) || 1);
  const requested = Math.floor(Number(url.searchParams.get("per_page") ?? String(defaults.perPage))) || defaults.perPage;
  return { page, perPage: Math.min(defaults.max, Math.max(defaults.min, requested)) };
}
