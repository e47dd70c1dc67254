import { describe, expect, it } from "vitest";
import { createApp } from "@charon/api";
import { testHost } from "./proxy-host-samples.js";
import { silentLogger, testApi } from "../../../test/support/api.js";

/** The address an audit entry records for a host created from `peer` with `forwardedFor`. */
async function recordedAddress(trustedProxies: string[], peer: string, forwardedFor?: string): Promise<string | null> {
  const api = await testApi();
  const app = createApp({ services: api.services, logger: silentLogger, trustedProxies });
  // As @hono/node-server hands the socket to the app.
  const env = { incoming: { socket: { remoteAddress: peer } } };
  const headers = { Authorization: `Bearer ${api.tokens.full}`, "Content-Type": "application/json" };
  const created = await app.request(
    "/api/nginx/proxy-hosts",
    {
      method: "POST",
      headers: forwardedFor === undefined ? headers : { ...headers, "X-Forwarded-For": forwardedFor },
      body: JSON.stringify(testHost()),
    },
    env,
  );
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: number };
  const audit = await api.send("GET", `/api/v1/audit-logs?resource_type=proxy_host&resource_id=${id}`);
  return audit.body.audit_logs[0].ip_address;
}

describe("the client's address (audit entries, failed-authentication limits)", () => {
  it("is the socket's peer, whatever X-Forwarded-For claims, when no proxy is trusted", async () => {
    expect(await recordedAddress([], "198.51.100.7", "203.0.113.5")).toBe("198.51.100.7");
  });

  it("is read from X-Forwarded-For, past the trusted proxies, when the peer is one of them", async () => {
    expect(await recordedAddress(["10.0.0.1"], "10.0.0.1", "203.0.113.5")).toBe("203.0.113.5");
    // A client's own forged entries stand left of what the proxies appended: they are not reached.
    expect(await recordedAddress(["10.0.0.1", "10.0.0.2"], "10.0.0.1", "192.0.2.66, 203.0.113.5, 10.0.0.2")).toBe("203.0.113.5");
    expect(await recordedAddress(["10.0.0.1"], "198.51.100.7", "203.0.113.5")).toBe("198.51.100.7");
  });

  it("stops at a malformed hop, and writes IPv6 in one spelling", async () => {
    expect(await recordedAddress(["10.0.0.1"], "10.0.0.1", "203.0.113.5, not-an-address")).toBe("10.0.0.1");
    expect(await recordedAddress(["::1"], "0:0::1", "2001:DB8::5")).toBe("2001:db8::5");
  });
});
