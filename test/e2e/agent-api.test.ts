import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { loadOrCreateAgentKey, reportParts } from "@charon/agent";
import { SNAPSHOT_MARK_MAX_AGE_MS, planRenewal } from "@charon/core";
import { DynamoIssuanceRepository } from "@charon/aws";
import { privateKeyContext } from "@charon/acme";
import { testActor, testApi } from "../support/api.js";

/**
 * Issue 11's API side: the snapshot the proxy agents poll (ETag, 304 on no change), their reports,
 * and the agents' status. The snapshot never carries a private key.
 */
const api = await testApi({ standardDns: true, issuance: true });
afterAll(() => api.stop());

const LEAF = "-----BEGIN CERTIFICATE-----\nleaf\n-----END CERTIFICATE-----";
const CHAIN = "-----BEGIN CERTIFICATE-----\nintermediate\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nsecret-key-material\n-----END PRIVATE KEY-----\n";

/** A certificate with material in service, as an order stores it. */
async function issuedCertificate(name: string): Promise<number> {
  const certificate = await api.services.certificates.create(testActor, {
    provider: "letsencrypt",
    domain_names: [name],
    meta: { dns_challenge: true, dns_provider_id: api.dns!.cloudflare.id },
  });
  const orders = new DynamoIssuanceRepository(api.table);
  const order = await orders.claim(certificate.id, "test", new Date(), new Date(Date.now() + 60_000));
  if (order === undefined || "heldUntil" in order) throw new Error("no open order");
  const sealedKey = await api.sealer!.seal(KEY, privateKeyContext(certificate.id));
  const now = new Date().toISOString();
  const expires = "2027-03-01T00:00:00.000Z";
  const validity = { issuedAt: new Date(now), expiresAt: new Date(expires) };
  await orders.storeIssued(
    { ...order, step: "stored" },
    "test",
    { certificatePem: LEAF, chainPem: CHAIN, sealedKey },
    { issued_at: now, expires_on: expires, serial: "01", issuer: "CN=test", key_type: "ecdsa-p256", validations: [], ari_cert_id: null },
    planRenewal(undefined, { kind: "issued", validity, renewalInfo: false }, new Date(now)),
  );
  return certificate.id;
}

const agentToken = await api.issue({ permission: "scoped", scopes: { agents: "write" } });

describe("GET /api/v1/agent/snapshot", () => {
  it("holds every proxy host and the certificates in service, without private keys; an unchanged poll is a 304", async () => {
    const certificateId = await issuedCertificate("shop.customer-a.com");
    const host = await api.send("POST", "/api/nginx/proxy-hosts", {
      token: api.tokens.full,
      body: { domain_names: ["shop.customer-a.com"], forward_host: "10.0.0.5", forward_port: 3000, certificate_id: certificateId, waf_enabled: true, meta: { note: "x" } },
    });
    expect(host.status).toBe(201);

    const first = await api.send("GET", "/api/v1/agent/snapshot", { token: agentToken });
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    const served = first.body.proxy_hosts.find((h: { id: number }) => h.id === host.body.id);
    expect(served).toMatchObject({ domain_names: ["shop.customer-a.com"], forward_host: "10.0.0.5", forward_port: 3000, waf_enabled: true, certificate_id: certificateId });
    expect(served).not.toHaveProperty("meta");
    expect(first.body.certificates).toContainEqual({
      id: certificateId,
      domain_names: ["shop.customer-a.com"],
      expires_on: "2027-03-01T00:00:00.000Z",
      fullchain_pem: `${LEAF}\n${CHAIN}`,
    });
    expect(JSON.stringify(first.body)).not.toContain("secret-key-material");

    const unchanged = await api.call("GET", "/api/v1/agent/snapshot", { token: agentToken, headers: { "If-None-Match": etag! } });
    expect(unchanged.status).toBe(304);
    expect(await unchanged.text()).toBe("");
    expect(unchanged.headers.get("etag")).toBe(etag);

    await api.send("PUT", `/api/nginx/proxy-hosts/${host.body.id}`, { token: api.tokens.full, body: { forward_port: 3001 } });
    const changed = await api.send("GET", "/api/v1/agent/snapshot", { token: agentToken, headers: { "If-None-Match": etag! } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
    expect(changed.body.proxy_hosts.find((h: { id: number }) => h.id === host.body.id).forward_port).toBe(3001);
  });
});

describe("POST /api/v1/agent/reports and GET /api/v1/agents", () => {
  it("keeps each agent's last report and says whether it applied the current snapshot", async () => {
    const { headers } = await api.send("GET", "/api/v1/agent/snapshot", { token: agentToken });
    const current = headers.get("etag")!;
    const report = {
      agent_id: "edge-1",
      version: "0.1.0",
      driver: "nginx",
      applied_etag: current,
      proxy_error: null,
      hosts: [{ id: 1, status: "failed", serving: "previous", tls: false, waf_mode: null }],
      problems: [{ id: 1, error: '[emerg] unknown directive "x" in hosts/1.conf:9', note: null }],
    };
    const stored = await api.send("POST", "/api/v1/agent/reports", { token: agentToken, body: report });
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ ...report, token_id: expect.any(Number), received_at: expect.any(String) });
    await api.send("POST", "/api/v1/agent/reports", { token: agentToken, body: { ...report, agent_id: "edge-2", applied_etag: '"older"', hosts: [], problems: [] } });

    const agents = await api.send("GET", "/api/v1/agents", { token: agentToken });
    expect(agents.status).toBe(200);
    const byId = Object.fromEntries(agents.body.map((a: { agent_id: string }) => [a.agent_id, a]));
    expect(byId["edge-1"]).toMatchObject({ in_sync: true, desired_etag: current, hosts: report.hosts, problems: report.problems });
    expect(byId["edge-2"]).toMatchObject({ in_sync: false, desired_etag: current });

    // A later heartbeat replaces the earlier one.
    await api.send("POST", "/api/v1/agent/reports", { token: agentToken, body: { ...report, hosts: [], problems: [] } });
    const again = await api.send("GET", "/api/v1/agents", { token: agentToken });
    expect(again.body.filter((a: { agent_id: string }) => a.agent_id === "edge-1")).toHaveLength(1);
    expect(again.body.find((a: { agent_id: string }) => a.agent_id === "edge-1").hosts).toEqual([]);
  });

  it("takes a report of 5 000 hosts in parts, joining the parts of one applied snapshot", async () => {
    const apply = { hosts: Array.from({ length: 5000 }, (_, i) => ({ id: i + 1, status: "applied" as const, serving: "desired" as const, tls: true, waf_mode: null, error: null, note: null })), reloaded: true, proxy_error: null, trials: 1 };
    const versions = new Map(apply.hosts.map((h) => [h.id, "2026-11-30T00:00:00.000Z"]));
    const parts = reportParts({ agent_id: "big-1", version: "0.1.0", driver: "nginx", applied_etag: '"big"' }, apply, versions);
    expect(parts).toHaveLength(10);
    for (const part of parts) expect((await api.send("POST", "/api/v1/agent/reports", { token: agentToken, body: part })).status).toBe(200);
    const shown = async () => (await api.send("GET", "/api/v1/agents", { token: agentToken })).body.find((a: { agent_id: string }) => a.agent_id === "big-1");
    const whole = await shown();
    expect(whole).toMatchObject({ part: 1, parts: 10, applied_etag: '"big"' });
    expect(whole.hosts.map((h: { id: number }) => h.id)).toEqual(apply.hosts.map((h) => h.id));

    // A newer snapshot's part 1 with fewer parts: the older report's other parts are not joined to it.
    const newer = reportParts({ agent_id: "big-1", version: "0.1.0", driver: "nginx", applied_etag: '"newer"' }, { ...apply, hosts: apply.hosts.slice(0, 700) }, versions);
    expect((await api.send("POST", "/api/v1/agent/reports", { token: agentToken, body: newer[0] })).status).toBe(200);
    expect((await shown()).hosts).toHaveLength(500);
    expect((await api.send("POST", "/api/v1/agent/reports", { token: agentToken, body: newer[1] })).status).toBe(200);
    expect((await shown()).hosts).toHaveLength(700);
  });

  it("takes the largest valid part within the body limit, and refuses one host more or a part past the last", async () => {
    const id = 999_999_999_999_999;
    const largest = {
      agent_id: "a".repeat(64),
      version: "v".repeat(64),
      driver: "nginx",
      applied_etag: "e".repeat(100),
      proxy_error: "€".repeat(1000),
      hosts: Array.from({ length: 500 }, () => ({ id, status: "disabled", serving: "previous", tls: false, waf_mode: "monitor", modified_on: "m".repeat(40) })),
      problems: Array.from({ length: 100 }, () => ({ id, error: "€".repeat(300), note: "€".repeat(100) })),
      part: 100,
      parts: 100,
    };
    expect((await api.send("POST", "/api/v1/agent/reports", { token: agentToken, body: largest })).status).toBe(200);
    const tooMany = await api.send("POST", "/api/v1/agent/reports", { token: agentToken, body: { ...largest, hosts: [...largest.hosts, largest.hosts[0]] } });
    expect(tooMany.status).toBe(400);
    expect(JSON.stringify(tooMany.body)).toContain("hosts");
    const pastLast = await api.send("POST", "/api/v1/agent/reports", { token: agentToken, body: { ...largest, part: 3, parts: 2 } });
    expect(pastLast.status).toBe(400);
    expect(pastLast.body.message).toContain("part: 3 is more than parts (2)");
  });

  it("refuses a report naming the field at fault", async () => {
    const bad = await api.send("POST", "/api/v1/agent/reports", {
      token: agentToken,
      body: { agent_id: "edge 1; rm", version: "0.1.0", driver: "nginx", applied_etag: null, proxy_error: null, hosts: [], problems: [] },
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("agent_id");
    const status = await api.send("POST", "/api/v1/agent/reports", {
      token: agentToken,
      body: { agent_id: "edge-1", version: "0.1.0", driver: "nginx", applied_etag: null, proxy_error: null, hosts: [{ id: 1, status: "great", serving: "desired", tls: false, waf_mode: null }], problems: [] },
    });
    expect(status.status).toBe(400);
    expect(JSON.stringify(status.body)).toContain("hosts.0.status");
  });

  it("a token scoped to agents reads the snapshot but no proxy host or certificate directly", async () => {
    expect((await api.call("GET", "/api/nginx/proxy-hosts", { token: agentToken })).status).toBe(403);
    expect((await api.call("GET", "/api/nginx/certificates", { token: agentToken })).status).toBe(403);
  });
});

describe("agent keys: private keys sealed to an agent's approved key", () => {
  it("seals a certificate's private key only to the agent whose key was approved by someone who may download keys", async () => {
    const certificateId = await issuedCertificate("sealed.customer-a.com");
    const directory = await mkdtemp(join(tmpdir(), "charon-agent-key-"));
    const key = await loadOrCreateAgentKey(join(directory, "edge-k"));
    const other = await loadOrCreateAgentKey(join(directory, "other"));

    const registered = await api.send("PUT", "/api/v1/agents/edge-k/key", { token: agentToken, body: { public_key: key.publicJwk } });
    expect(registered.status).toBe(200);
    expect(registered.body).toMatchObject({ agent_id: "edge-k", thumbprint: key.thumbprint, approved: false, approved_at: null });
    const before = await api.send("GET", "/api/v1/agent/snapshot?agent_id=edge-k", { token: agentToken });
    expect(before.body.certificates.some((c: { private_key_jwe?: string }) => c.private_key_jwe !== undefined)).toBe(false);

    // The agent's own token cannot approve its key: that takes certificates write, as the download.
    const self = await api.call("POST", "/api/v1/agents/edge-k/key/approve", { token: agentToken, body: { thumbprint: key.thumbprint } });
    expect(self.status).toBe(403);
    const wrong = await api.send("POST", "/api/v1/agents/edge-k/key/approve", { token: api.tokens.write.certificates, body: { thumbprint: other.thumbprint } });
    expect(wrong.status).toBe(400);
    expect(JSON.stringify(wrong.body)).toContain("thumbprint");
    const approved = await api.send("POST", "/api/v1/agents/edge-k/key/approve", { token: api.tokens.write.certificates, body: { thumbprint: key.thumbprint } });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ approved: true, approved_at: expect.any(String) });

    const after = await api.send("GET", "/api/v1/agent/snapshot?agent_id=edge-k", { token: agentToken, headers: { "If-None-Match": before.headers.get("etag")! } });
    expect(after.status).toBe(200);
    const sealed = after.body.certificates.find((c: { id: number }) => c.id === certificateId);
    expect(sealed.private_key_jwe).toMatch(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(await key.open(sealed.private_key_jwe)).toBe(KEY);
    await expect(other.open(sealed.private_key_jwe)).rejects.toThrow();
    expect(JSON.stringify(after.body)).not.toContain("secret-key-material");
    // The same state polled again is a 304, although each sealing differs.
    const again = await api.call("GET", "/api/v1/agent/snapshot?agent_id=edge-k", { token: agentToken, headers: { "If-None-Match": after.headers.get("etag")! } });
    expect(again.status).toBe(304);
    // Without the agent's id, or for an agent without an approved key: no private key.
    const anonymous = await api.send("GET", "/api/v1/agent/snapshot", { token: agentToken });
    expect(anonymous.body.certificates.every((c: { private_key_jwe?: string }) => c.private_key_jwe === undefined)).toBe(true);

    // Registering the same key again keeps the approval; another key replaces it, unapproved.
    expect((await api.send("PUT", "/api/v1/agents/edge-k/key", { token: agentToken, body: { public_key: key.publicJwk } })).body.approved).toBe(true);
    expect((await api.send("PUT", "/api/v1/agents/edge-k/key", { token: agentToken, body: { public_key: other.publicJwk } })).body.approved).toBe(false);
    const replaced = await api.send("GET", "/api/v1/agent/snapshot?agent_id=edge-k", { token: agentToken });
    expect(replaced.body.certificates.every((c: { private_key_jwe?: string }) => c.private_key_jwe === undefined)).toBe(true);

    // Each change of trust is audited: the two keys registered (the second dropping the approval), and the approval.
    const audit = async (action: string) =>
      (await api.send("GET", `/api/v1/audit-logs?action=${action}&resource_type=agent&resource_id=edge-k&limit=100`)).body.audit_logs;
    const registrations = await audit("agent_key_registered");
    expect(registrations.map((e: { details: { thumbprint: string } }) => e.details.thumbprint).sort()).toEqual([key.thumbprint, other.thumbprint].sort());
    expect(registrations.find((e: { details: { thumbprint: string } }) => e.details.thumbprint === other.thumbprint).details).toMatchObject({
      replaced_thumbprint: key.thumbprint,
      replaced_approved: true,
    });
    const approvals = await audit("agent_key_approved");
    expect(approvals).toHaveLength(1);
    expect(approvals[0]).toMatchObject({ resource_type: "agent", resource_id: "edge-k", details: { thumbprint: key.thumbprint } });
    expect(JSON.stringify([...registrations, ...approvals])).not.toContain(String(key.publicJwk.x));
  });

  it("refuses a key that is no public P-256 key, naming what is wrong", async () => {
    const key = await loadOrCreateAgentKey(await mkdtemp(join(tmpdir(), "charon-agent-key-")));
    const withPrivate = await api.send("PUT", "/api/v1/agents/edge-x/key", { token: agentToken, body: { public_key: { ...key.publicJwk, d: key.publicJwk.x } } });
    expect(withPrivate.status).toBe(400);
    expect(JSON.stringify(withPrivate.body)).toContain("public_key");
    const offCurve = await api.send("PUT", "/api/v1/agents/edge-x/key", { token: agentToken, body: { public_key: { ...key.publicJwk, y: key.publicJwk.x } } });
    expect(offCurve.status).toBe(400);
    expect(JSON.stringify(offCurve.body)).toContain("not a point on P-256");
  });
});

describe("the agents' reports as hosts' state: meta.nginx_online / nginx_err and GET /api/security/waf", () => {
  type Host = { id: number; modified_on: string; meta: Record<string, unknown> };
  const getHost = async (id: number): Promise<Host> => (await api.send("GET", `/api/nginx/proxy-hosts/${id}`)).body;
  const agentReport = (agent_id: string, hosts: Host[], entry: (host: Host) => Record<string, unknown>, problems: unknown[] = [], driver = "nginx") => ({
    agent_id,
    version: "0.1.0",
    driver,
    applied_etag: '"x"',
    proxy_error: null,
    hosts: hosts.map((h) => ({ id: h.id, status: "applied", serving: "desired", tls: false, waf_mode: null, modified_on: h.modified_on, ...entry(h) })),
    problems,
  });
  const post = async (body: unknown) => expect((await api.send("POST", "/api/v1/agent/reports", { token: agentToken, body })).status).toBe(200);

  it("shows what the agents that applied each host's current version report, in the host and in the list", async () => {
    const create = async (name: string, extra: Record<string, unknown>) =>
      (await api.send("POST", "/api/nginx/proxy-hosts", { body: { domain_names: [name], forward_host: "10.0.0.7", forward_port: 80, ...extra } })).body as Host;
    const good = await create("good.edge-state.test", { waf_enabled: true, waf_mode: "block", meta: { dns_challenge: false } });
    const bad = await create("bad.edge-state.test", { advanced_config: "x;" });
    // No agent has applied either: offline without an error (Nginx Proxy Manager's Offline), the host's own meta kept.
    expect(good.meta).toEqual({ dns_challenge: false, nginx_online: false, nginx_err: null });

    const error = '[emerg] unknown directive "x" in hosts/' + bad.id + ".conf:9";
    await post(agentReport("state-1", [good, bad], (h) => (h.id === good.id ? { waf_mode: "block" } : {})));
    await post(agentReport("state-2", [good, bad], (h) => (h.id === bad.id ? { status: "failed", serving: "none" } : { waf_mode: "block" }), [{ id: bad.id, error, note: null }]));
    await post(agentReport("state-3", [good], () => ({}), [], "caddy"));
    expect((await getHost(good.id)).meta).toEqual({ dns_challenge: false, nginx_online: true, nginx_err: null });
    expect((await getHost(bad.id)).meta).toEqual({ nginx_online: false, nginx_err: `state-2: ${error}` });
    const list = (await api.send("GET", "/api/nginx/proxy-hosts?limit=100")).body as Host[];
    expect(list.find((h) => h.id === bad.id)!.meta).toEqual({ nginx_online: false, nginx_err: `state-2: ${error}` });

    // The WAF status: desired block, in effect at both nginx agents, unsupported at the Caddy one.
    const waf = await api.send("GET", "/api/security/waf");
    expect(waf.body.hosts.block.find((h: { id: number }) => h.id === good.id).reported).toEqual([
      { agent_id: "state-1", driver: "nginx", waf_mode: "block" },
      { agent_id: "state-2", driver: "nginx", waf_mode: "block" },
      { agent_id: "state-3", driver: "caddy", waf_mode: "unsupported" },
    ]);
    expect(waf.body.hosts.off.find((h: { id: number }) => h.id === bad.id).reported).toEqual([{ agent_id: "state-1", driver: "nginx", waf_mode: "off" }]);

    // A change: no agent has applied the new version yet. A client sending back the meta it read does not store the derived fields.
    const changed = await api.send("PUT", `/api/nginx/proxy-hosts/${good.id}`, { body: { forward_port: 81, meta: { dns_challenge: false, nginx_online: true, nginx_err: "typed" } } });
    expect(changed.status).toBe(200);
    expect(changed.body.meta).toEqual({ dns_challenge: false, nginx_online: false, nginx_err: null });
    expect((await api.send("GET", "/api/security/waf")).body.hosts.block.find((h: { id: number }) => h.id === good.id).reported).toEqual([]);
    await post(agentReport("state-1", [changed.body as Host], () => ({ waf_mode: "block" })));
    expect((await getHost(good.id)).meta).toEqual({ dns_challenge: false, nginx_online: true, nginx_err: null });
  });
});

describe("the cost of a no-change poll: the desired state's version mark", () => {
  it("answers an unchanged poll from two small reads at any number of hosts, and a lost mark only until the mark's age runs out", async () => {
    let now = Date.parse("2026-11-30T02:00:00.000Z");
    const clocked = await testApi({ clock: { now: () => new Date(now) } });
    try {
      const token = await clocked.issue({ permission: "scoped", scopes: { agents: "write" } });
      for (let i = 0; i < 30; i++) {
        await clocked.send("POST", "/api/nginx/proxy-hosts", { body: { domain_names: [`m${i}.mark.test`], forward_host: "10.0.0.9", forward_port: 80 } });
      }
      const first = await clocked.send("GET", "/api/v1/agent/snapshot?agent_id=edge-m", { token });
      expect(first.body.proxy_hosts).toHaveLength(30);
      const etag = first.headers.get("etag")!;

      // Every DynamoDB command of one unchanged poll (the token's own check included).
      const commands: string[] = [];
      clocked.table.client.middlewareStack.add(
        (next, context) => async (args) => {
          commands.push(context.commandName ?? "?");
          return next(args);
        },
        { step: "initialize", name: "countCommands" },
      );
      const unchanged = await clocked.call("GET", "/api/v1/agent/snapshot?agent_id=edge-m", { token, headers: { "If-None-Match": etag } });
      expect(unchanged.status).toBe(304);
      expect(commands.filter((c) => !/^(GetItem|UpdateItem)Command$/.test(c))).toEqual([]); // no Query of hosts or certificates
      expect(commands.filter((c) => c === "GetItemCommand")).toHaveLength(3); // the mark, the agent's key, the token
      clocked.table.client.middlewareStack.remove("countCommands");

      // A write whose mark was lost (a crash between the write and its mark): served as unchanged until the mark's age runs out.
      const mark = await clocked.table.get({ pk: "AGENTS", sk: "DESIRED_STATE" }, true);
      await clocked.send("PUT", "/api/nginx/proxy-hosts/1", { body: { forward_port: 81 } });
      await clocked.table.client.send(
        new UpdateCommand({ TableName: clocked.table.name, Key: { pk: "AGENTS", sk: "DESIRED_STATE" }, UpdateExpression: "SET #v = :v", ExpressionAttributeNames: { "#v": "version" }, ExpressionAttributeValues: { ":v": mark!["version"] } }),
      );
      expect((await clocked.call("GET", "/api/v1/agent/snapshot?agent_id=edge-m", { token, headers: { "If-None-Match": etag } })).status).toBe(304);
      now += SNAPSHOT_MARK_MAX_AGE_MS;
      const rebuilt = await clocked.send("GET", "/api/v1/agent/snapshot?agent_id=edge-m", { token, headers: { "If-None-Match": etag } });
      expect(rebuilt.status).toBe(200);
      expect(rebuilt.body.proxy_hosts.find((h: { id: number }) => h.id === 1).forward_port).toBe(81);
      // And the next unchanged poll is a 304 again, from the mark.
      expect((await clocked.call("GET", "/api/v1/agent/snapshot?agent_id=edge-m", { token, headers: { "If-None-Match": rebuilt.headers.get("etag")! } })).status).toBe(304);
    } finally {
      await clocked.stop();
    }
  });
});
