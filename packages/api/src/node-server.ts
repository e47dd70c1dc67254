import { serve, type ServerType } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import type { ServerTimeouts } from "./config.js";

/**
 * The Node HTTP server of `npm start` around the app's `fetch`, with the time-outs that keep a
 * slow or stalled client from holding a connection (and its memory) open: Node's defaults
 * would wait 60 s for headers, checked only every 30 s.
 */
export function listen(
  // The second argument is @hono/node-server's `{ incoming, outgoing }` (the client's socket).
  fetch: (request: Request, env?: unknown) => Response | Promise<Response>,
  options: { host: string; port: number; timeouts: ServerTimeouts },
  onListening?: (address: AddressInfo) => void,
): ServerType {
  const { timeouts } = options;
  return serve(
    {
      fetch,
      port: options.port,
      hostname: options.host,
      serverOptions: {
        headersTimeout: timeouts.headersMs,
        requestTimeout: timeouts.requestMs,
        keepAliveTimeout: timeouts.keepAliveMs,
        connectionsCheckingInterval: timeouts.checkIntervalMs,
      },
    },
    onListening,
  );
}
