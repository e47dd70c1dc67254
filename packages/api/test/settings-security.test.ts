import { describe, expect, it } from "vitest";
import { DynamoCrowdSecDecisionRepository } from "@charon/aws";
import { LETS_ENCRYPT_PRODUCTION, LETS_ENCRYPT_STAGING } from "@charon/core";
import { testApi } from "../../../test/support/api.js";

describe("settings", () => {
  it("answers the defaults, then applies partial updates", async () => {
    const api = await testApi();
    const defaults = await api.send("GET", "/api/v1/settings");
    expect(defaults.body).toEqual({
      dns_propagation_timeout_seconds: 60,
      dns_polling_interval_seconds: 5,
      acme_email: null,
      acme_directory_url: LETS_ENCRYPT_PRODUCTION,
      renewal_window_days: 30,
      waf_enabled: true,
      modified_on: null,
    });
    const changed = await api.send("PUT", "/api/v1/settings", {
      body: { dns_propagation_timeout_seconds: 120, acme_directory_url: LETS_ENCRYPT_STAGING, acme_email: "ops@example.com" },
    });
    expect(changed.body).toMatchObject({ dns_propagation_timeout_seconds: 120, acme_directory_url: LETS_ENCRYPT_STAGING, renewal_window_days: 30 });
    expect((await api.send("PUT", "/api/v1/settings", { body: { renewal_window_days: 14 } })).body).toMatchObject({
      dns_propagation_timeout_seconds: 120,
      renewal_window_days: 14,
    });
    const actions = (await api.table.queryAll({ partition: "AUDITRES#settings#settings", index: "gsi1" })).map((i) => i["action"]);
    expect(actions).toEqual(["settings_updated", "settings_updated"]);
  });

  it.each([
    [{ dns_propagation_timeout_seconds: 9 }, "dns_propagation_timeout_seconds: Too small"],
    [{ dns_propagation_timeout_seconds: 601 }, "dns_propagation_timeout_seconds: Too big"],
    [{ dns_propagation_timeout_seconds: 60.5 }, "dns_propagation_timeout_seconds:"],
    [{ dns_polling_interval_seconds: 0 }, "dns_polling_interval_seconds: Too small"],
    [{ dns_propagation_timeout_seconds: 10, dns_polling_interval_seconds: 10 }, "must be less than dns_propagation_timeout_seconds"],
    [{ renewal_window_days: 90 }, "renewal_window_days: Too big"],
    [{ acme_email: "not-an-email" }, "acme_email:"],
    [{ acme_directory_url: "http://acme.example.com/directory" }, "acme_directory_url:"],
    [{ theme: "dark" }, "Unknown field 'theme'"],
  ])("rejects %j", async (body, message) => {
    const api = await testApi();
    const response = await api.send("PUT", "/api/v1/settings", { body });
    expect(response.status).toBe(400);
    expect(response.body.message).toContain(message);
  });

  it("refuses with a 409 one timing setting that contradicts the stored other, and takes both changed together", async () => {
    const api = await testApi();
    const one = await api.send("PUT", "/api/v1/settings", { body: { dns_polling_interval_seconds: 60 } });
    expect(one.status).toBe(409);
    expect(one.body.message).toBe(
      "dns_polling_interval_seconds: must be less than dns_propagation_timeout_seconds (60), the stored value: change both in one request",
    );
    const both = await api.send("PUT", "/api/v1/settings", { body: { dns_polling_interval_seconds: 60, dns_propagation_timeout_seconds: 61 } });
    expect(both.status).toBe(200);
    expect(both.body).toMatchObject({ dns_polling_interval_seconds: 60, dns_propagation_timeout_seconds: 61 });
  });
});

describe("settings: a PUT that names nothing", () => {
  it.each([
    ["an empty object", { body: {} }],
    ["no body and no Content-Type", {}],
  ])("with %s is a 400 'Nothing to change' that writes no audit entry and changes nothing", async (_, request) => {
    const api = await testApi();
    await api.send("PUT", "/api/v1/settings", { body: { renewal_window_days: 14 } });
    const before = await api.send("GET", "/api/v1/settings");
    const answer = await api.send("PUT", "/api/v1/settings", request);
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/^Nothing to change/);
    expect((await api.send("GET", "/api/v1/settings")).body).toEqual(before.body);
    const actions = (await api.table.queryAll({ partition: "AUDITRES#settings#settings", index: "gsi1" })).map((i) => i["action"]);
    expect(actions).toEqual(["settings_updated"]);
  });
});

describe("security", () => {
  it("counts a disabled host under off whatever its WAF mode (it is not serving), and back under its mode once enabled", async () => {
    const api = await testApi();
    const host = async (name: string, extra: Record<string, unknown>) =>
      (await api.send("POST", "/api/nginx/proxy-hosts", { body: { domain_names: [name], forward_host: "h", forward_port: 80, ...extra } })).body as {
        id: number;
      };
    const blocking = await host("blocking.example.com", { waf_enabled: true, waf_mode: "block", enabled: false });
    const monitoring = await host("monitoring.example.com", { waf_enabled: true, waf_mode: "monitor" });
    await api.send("POST", `/api/nginx/proxy-hosts/${monitoring.id}/disable`);
    const ids = (hosts: Array<{ id: number }>) => hosts.map((h) => h.id);
    const disabled = (await api.send("GET", "/api/security/waf")).body;
    expect(disabled.counts).toEqual({ block: 0, monitor: 0, off: 2 });
    expect(ids(disabled.hosts.off)).toEqual([blocking.id, monitoring.id]);
    await api.send("POST", `/api/nginx/proxy-hosts/${blocking.id}/enable`);
    const enabled = (await api.send("GET", "/api/security/waf")).body;
    expect(enabled.counts).toEqual({ block: 1, monitor: 0, off: 1 });
    expect(ids(enabled.hosts.block)).toEqual([blocking.id]);
  });

  it("reports the WAF switch and each host's mode", async () => {
    const api = await testApi();
    const host = (name: string, extra: Record<string, unknown>) =>
      api.send("POST", "/api/nginx/proxy-hosts", { body: { domain_names: [name], forward_host: "h", forward_port: 80, ...extra } });
    const a = (await host("a.example.com", { waf_enabled: true, waf_mode: "block" })).body;
    const b = (await host("b.example.com", { waf_enabled: true, waf_mode: "monitor" })).body;
    const c = (await host("c.example.com", { waf_mode: "monitor" })).body;
    const status = await api.send("GET", "/api/security/waf");
    expect(status.body).toEqual({
      enabled: true,
      counts: { block: 1, monitor: 1, off: 1 },
      hosts: {
        // No agent has reported: no mode in effect anywhere yet.
        block: [{ id: a.id, domain_names: ["a.example.com"], reported: [] }],
        monitor: [{ id: b.id, domain_names: ["b.example.com"], reported: [] }],
        off: [{ id: c.id, domain_names: ["c.example.com"], reported: [] }],
      },
    });
    await api.send("PUT", "/api/v1/settings", { body: { waf_enabled: false } });
    expect((await api.send("GET", "/api/security/waf")).body.enabled).toBe(false);
  });

  it("lists active CrowdSec decisions, filtered by ip (ranges included), scope and type", async () => {
    const api = await testApi();
    const decisions = new DynamoCrowdSecDecisionRepository(api.table);
    const later = new Date(Date.now() + 3600_000).toISOString();
    const base = { origin: "crowdsec", scenario: "crowdsecurity/http-probing", duration: "1h", until: later };
    const ip = { ...base, id: 1, scope: "Ip", value: "192.0.2.10", type: "ban" };
    const range = { ...base, id: 2, scope: "Range", value: "192.0.2.0/24", type: "captcha" };
    const v6 = { ...base, id: 3, scope: "Range", value: "2001:db8::/32", type: "ban" };
    const country = { ...base, id: 4, scope: "Country", value: "XX", type: "ban" };
    const expired = { ...base, id: 5, scope: "Ip", value: "192.0.2.10", type: "ban", until: new Date(Date.now() - 1000).toISOString() };
    await decisions.replaceForAgent("edge-1", [ip, range, v6, expired]);
    await decisions.replaceForAgent("edge-2", [country]);

    const ids = async (query: string) =>
      (await api.send("GET", `/api/security/crowdsec/decisions${query}`)).body.map((d: { id: number }) => d.id);
    expect(await ids("")).toEqual([ip.id, range.id, v6.id, country.id]);
    expect(await ids("?ip=192.0.2.10")).toEqual([ip.id, range.id]);
    expect(await ids("?ip=192.0.2.99")).toEqual([range.id]);
    expect(await ids("?ip=2001:db8::1")).toEqual([v6.id]);
    expect(await ids("?type=ban")).toEqual([ip.id, v6.id, country.id]);
    expect(await ids("?scope=range&type=captcha")).toEqual([range.id]);
    const listed = (await api.send("GET", "/api/security/crowdsec/decisions?scope=Country")).body;
    expect(listed).toEqual([{ ...country, agent: "edge-2" }]);
    const bad = await api.send("GET", "/api/security/crowdsec/decisions?ip=not-an-ip");
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("ip: 'not-an-ip' is not an IPv4 or IPv6 address");
    expect((await api.send("GET", "/api/security/crowdsec/decisions?agent=x")).status).toBe(400);
  });

  it("finds an IPv6 decision whatever the spelling of the address, stored or asked", async () => {
    const api = await testApi();
    const decisions = new DynamoCrowdSecDecisionRepository(api.table);
    const until = new Date(Date.now() + 3600_000).toISOString();
    const stored = { id: 7, origin: "cscli", scenario: "manual", duration: "1h", until, type: "ban", scope: "Ip", value: "2001:DB8:0:0::1" };
    await decisions.replaceForAgent("edge-1", [stored]);
    for (const asked of ["2001:db8::1", "2001:0db8:0000::0001", "2001:DB8::1"]) {
      const found = await api.send("GET", `/api/security/crowdsec/decisions?ip=${encodeURIComponent(asked)}`);
      expect(found.body.map((d: { id: number }) => d.id)).toEqual([stored.id]);
    }
  });

  it("pages through decisions, leaving out the expired ones, until X-Next-Cursor is absent", async () => {
    const api = await testApi();
    const decisions = new DynamoCrowdSecDecisionRepository(api.table);
    const base = { origin: "crowdsec", scenario: "crowdsecurity/ssh-bf", duration: "1h", type: "ban", scope: "Ip" };
    const active: number[] = [];
    const reported = [];
    for (let n = 1; n <= 7; n++) {
      const expired = n % 3 === 0;
      const until = new Date(Date.now() + (expired ? -1000 : 3600_000)).toISOString();
      reported.push({ ...base, id: n, value: `198.51.100.${n}`, until });
      if (!expired) active.push(n);
    }
    await decisions.replaceForAgent("edge-1", reported);
    const seen: number[] = [];
    let pages = 0;
    let query: string | null = "?limit=3";
    while (query !== null) {
      const page = await api.send("GET", `/api/security/crowdsec/decisions${query}`);
      expect(page.body.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.map((d: { id: number }) => d.id));
      pages++;
      const cursor = page.headers.get("X-Next-Cursor");
      query = cursor === null ? null : `?limit=3&cursor=${encodeURIComponent(cursor)}`;
    }
    expect(seen).toEqual(active);
    expect(pages).toBe(3);
  });
});
