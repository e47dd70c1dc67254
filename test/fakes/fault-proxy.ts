/**
 * A pass-through HTTP proxy in front of a real server (PowerDNS, moto) that can be told to fail,
 * stall or garble its next answers, and to refuse callers — so the adapters' retries, time-outs
 * and error messages are tested over HTTP against servers that cannot misbehave on request.
 */
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { HeldRequests, Faults, type InjectedResponse } from "./faults.js";
import { readBody } from "./server.js";

export interface FaultProxyOptions {
  /** The server's own error answer for a status (its format and wording). */
  errorBody(status: number): { body: string; contentType: string };
  /** Refuses a request before it reaches the server, as the server would (e.g. unknown AWS key). */
  refuse?(request: { method: string; path: string; headers: Record<string, string | string[] | undefined> }): InjectedResponse | undefined;
}

export async function startFaultProxy(
  target: string,
  options: FaultProxyOptions,
): Promise<{ url: string; faults: Faults; stop: () => Promise<void> }> {
  const upstream = new URL(target);
  const faults = new Faults(options.errorBody);
  const held = new HeldRequests();

  const server = createServer((req, res) => {
    const answer = (response: InjectedResponse) => {
      if (res.destroyed || res.writableEnded || res.headersSent) return;
      res.writeHead(response.status, response.headers);
      res.end(response.body);
    };
    void (async () => {
      const method = req.method ?? "GET";
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const body = await readBody(req);
      const plan = faults.take(method, url);
      if (plan?.kind === "respond") return answer(plan.response);
      if (plan?.kind === "hang") {
        await held.hold();
        if (res.destroyed) return;
      }
      const refusal = options.refuse?.({ method, path: url.pathname, headers: req.headers });
      if (refusal) return answer(refusal);

      const forward = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (upstreamResponse) => {
          res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
          upstreamResponse.pipe(res);
        },
      );
      forward.on("error", (error) => answer({ status: 502, body: `proxy: ${error.message}`, headers: { "content-type": "text/plain" } }));
      forward.end(body);
    })().catch((error: unknown) => {
      // A client that hangs up mid-body, say: answered (if anyone still listens), never unhandled.
      answer({ status: 502, body: `proxy: ${String(error)}`, headers: { "content-type": "text/plain" } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    faults,
    stop: () =>
      new Promise<void>((resolve) => {
        held.releaseAll();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
