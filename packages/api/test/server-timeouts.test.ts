import type { Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { SERVER_TIMEOUTS, listen, type ServerTimeouts } from "@charon/api";
import { readServerConfig } from "../src/config.js";

/**
 * Issue 8 §4: the local server closes a connection whose client never finishes its request,
 * instead of holding it for Node's 60 s (+30 s until the next check). Short time-outs are
 * injected; nothing here measures time: a server that kept the connection would fail the test
 * by its own time-out.
 */
const SHORT: ServerTimeouts = { headersMs: 200, requestMs: 400, keepAliveMs: 100, checkIntervalMs: 50 };

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function start(timeouts: ServerTimeouts): Promise<number> {
  // Reads the body first, as the app's routes do.
  const started = listen(async (request) => new Response(`${await request.text()}ok`), { host: "127.0.0.1", port: 0, timeouts }) as Server;
  server = started;
  await new Promise<void>((resolve) => started.once("listening", () => resolve()));
  return (started.address() as AddressInfo).port;
}

/** Sends `data` on a raw connection and resolves with everything received once the server closes it. */
function sendAndAwaitClose(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(data));
    let received = "";
    socket.on("data", (chunk) => (received += chunk.toString()));
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
  });
}

describe("the Node server's time-outs", () => {
  it("closes a connection that sends only half its headers, with 408", async () => {
    const port = await start(SHORT);
    const answer = await sendAndAwaitClose(port, "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ");
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("closes a connection whose body never arrives in full, with 408", async () => {
    const port = await start(SHORT);
    const answer = await sendAndAwaitClose(
      port,
      "POST /api/v1/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":",
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("still answers a complete request, and closes the idle keep-alive connection after it", async () => {
    const port = await start(SHORT);
    const answer = await sendAndAwaitClose(port, "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer.endsWith("ok")).toBe(true);
  });

  it("npm start's server uses the time-outs the README states, far below Node's 60 s / 300 s defaults", async () => {
    const config = readServerConfig({});
    expect(config.timeouts).toEqual(SERVER_TIMEOUTS);
    await start(config.timeouts);
    expect(server).toMatchObject({
      headersTimeout: SERVER_TIMEOUTS.headersMs,
      requestTimeout: SERVER_TIMEOUTS.requestMs,
      keepAliveTimeout: SERVER_TIMEOUTS.keepAliveMs,
    });
    // README, "Configuration": 10 s for the headers, 30 s for the request, 5 s idle, checked every second.
    expect(SERVER_TIMEOUTS).toEqual({ headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000, checkIntervalMs: 1_000 });
  });
});
