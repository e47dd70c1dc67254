import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { BanSet, denyList, toBan, type LapiDecision } from "../src/crowdsec/decisions.js";
import { RenderError, renderDenyMap, renderHost, renderMainConfig } from "../src/drivers/nginx/render.js";
import { host } from "./hosts.js";

const now = new Date("2026-11-30T02:00:00.000Z");
const later = (ms: number) => new Date(now.getTime() + ms);

/** A decision as the Local API streams it; a 4-hour ban of 192.0.2.10 unless told otherwise. */
function decision(overrides: Partial<LapiDecision> = {}): LapiDecision {
  return { id: 1, origin: "crowdsec", scope: "Ip", value: "192.0.2.10", type: "ban", scenario: "crowdsecurity/http-probing", duration: "3h59m57.336800438s", ...overrides };
}

describe("BanSet", () => {
  it("keeps bans from the startup answer and the deltas after it, until each one's time is over", () => {
    const bans = new BanSet();
    expect(bans.update({ new: [decision(), decision({ id: 2, scope: "Range", value: "198.51.100.0/24", duration: "10m" })], deleted: null }, now, true)).toBe(true);
    expect(bans.list().map((b) => [b.id, b.value, b.until])).toEqual([
      [1, "192.0.2.10", "2026-11-30T05:59:57.336Z"],
      [2, "198.51.100.0/24", "2026-11-30T02:10:00.000Z"],
    ]);
    // A delta deletes one and adds another; an empty delta changes nothing.
    expect(bans.update({ new: [decision({ id: 3, value: "2001:DB8:0::1" })], deleted: [decision({ duration: "-496.398096ms" })] }, now, false)).toBe(true);
    expect(bans.update({ new: null, deleted: null }, now, false)).toBe(false);
    expect(denyList(bans.list())).toEqual(["198.51.100.0/24", "2001:db8::1"]);
    // Ten minutes on, the range's time is over.
    expect(bans.expire(later(10 * 60_000))).toBe(true);
    expect(denyList(bans.list())).toEqual(["2001:db8::1"]);
  });

  it("a startup answer replaces everything held before (after the Local API was away)", () => {
    const bans = new BanSet();
    bans.update({ new: [decision(), decision({ id: 2, value: "192.0.2.11" })], deleted: null }, now, true);
    bans.update({ new: [decision({ id: 2, value: "192.0.2.11" })], deleted: null }, now, true);
    expect(denyList(bans.list())).toEqual(["192.0.2.11"]);
  });

  it("enforces bans on Ip and Range only; captchas and other scopes are counted as skipped until they end or go", () => {
    const bans = new BanSet();
    bans.update(
      {
        new: [
          decision({ id: 1, type: "captcha" }),
          decision({ id: 2, scope: "Country", value: "XX" }),
          decision({ id: 3, scope: "AS", value: "64496", duration: "1m" }),
          decision({ id: 4, value: "not-an-address" }),
          decision({ id: 5, scope: "ip", value: "192.0.2.20" }),
        ],
        deleted: null,
      },
      now,
      true,
    );
    expect(bans.list().map((b) => [b.id, b.scope, b.value])).toEqual([[5, "Ip", "192.0.2.20"]]);
    expect(bans.skipped).toBe(4);
    bans.update({ new: null, deleted: [decision({ id: 1 })] }, now, false);
    expect(bans.skipped).toBe(3);
    bans.expire(later(60_000));
    expect(bans.skipped).toBe(2);
  });
});

describe("toBan", () => {
  it.each([
    ["Ip", "2001:0DB8:0000::0001", "2001:db8::1"],
    ["Range", "10.1.2.3/8", "10.0.0.0/8"],
    ["Range", "2001:db8::7/32", "2001:db8::/32"],
    ["Range", "192.0.2.10/32", "192.0.2.10/32"],
  ])("writes %s %s as %s", (scope, value, canonical) => {
    expect(toBan(decision({ scope, value }), now)?.value).toBe(canonical);
  });

  it.each([
    ["Range", "10.0.0.0/33"],
    ["Range", "10.0.0.0"],
    ["Range", "10.0.0.0/8/8"],
    ["Ip", "10.0.0.0/8"],
    ["Ip", "1.2.3"],
  ])("leaves out %s %s", (scope, value) => {
    expect(toBan(decision({ scope, value }), now)).toBeNull();
  });

  it("leaves out a duration it cannot read", () => {
    expect(toBan(decision({ duration: "forever" }), now)).toBeNull();
  });
});

describe("denyList", () => {
  it("lists each address or network once, IPv4 first, in a stable order", () => {
    const values = ["2001:db8::1", "192.0.2.10", "10.0.0.0/8", "192.0.2.10"].map((value) => ({ value }));
    expect(denyList(values)).toEqual(["10.0.0.0/8", "192.0.2.10", "2001:db8::1"]);
    expect(denyList([...values].reverse())).toEqual(denyList(values));
  });
});

describe("nginx's deny rules", () => {
  const listen = { listenAddress: "127.0.0.1", httpPort: 8080, httpsPort: 8443 };

  it("a geo map on the client's address, and 403 before any redirect in every host", () => {
    expect(renderDenyMap(["192.0.2.10", "2001:db8::/32"]).split("\n").slice(1)).toEqual([
      "geo $charon_crowdsec_ban {",
      "  default 0;",
      "  192.0.2.10 1;",
      "  2001:db8::/32 1;",
      "}",
      "",
    ]);
    const tls = { certificateFile: "certs/1/fullchain.pem", keyFile: "certs/1/privkey.pem" };
    const text = renderHost(host({ ssl_forced: true }), tls, { ...listen, crowdsec: true }).split("\n").map((l) => l.trim());
    const deny = text.indexOf("if ($charon_crowdsec_ban) { return 403; }");
    expect(deny).toBeGreaterThan(0);
    expect(deny).toBeLessThan(text.findIndex((l) => l.startsWith('if ($scheme = "http")')));
    const main = renderMainConfig({ ...listen, resolvers: ["127.0.0.53"], runDir: "/run/agent", crowdsec: true }, "/x/staged", false);
    expect(main).toContain("  include crowdsec/deny.conf;\n");
  });

  it("nothing of it when the agent is no bouncer", () => {
    expect(renderHost(host(), null, listen)).not.toContain("charon_crowdsec_ban");
    expect(renderMainConfig({ ...listen, resolvers: ["127.0.0.53"], runDir: "/run/agent" }, "/x/staged", false)).not.toContain("crowdsec");
  });

  it("refuses an entry that is no address or CIDR (nothing reaches nginx's configuration unchecked)", () => {
    expect(() => renderDenyMap(["192.0.2.10; include /etc/passwd"])).toThrow(RenderError);
  });
});

describe("the bouncer's configuration", () => {
  const required = ["--api-url", "http://127.0.0.1:8081/api", "--token", "chrn_x", "--resolver", "127.0.0.53"];

  it("takes the Local API from a flag or the environment, its key only from the environment", async () => {
    const config = await loadConfig([...required, "--crowdsec-lapi-url", "http://127.0.0.1:8080/v1/"], { CHARON_AGENT_CROWDSEC_KEY: "k" });
    expect(config?.crowdsec).toEqual({ lapiUrl: "http://127.0.0.1:8080", key: "k", intervalSeconds: 10 });
    const fromEnv = await loadConfig(required, { CHARON_AGENT_CROWDSEC_LAPI_URL: "http://lapi:8080", CHARON_AGENT_CROWDSEC_KEY: "k", CHARON_AGENT_CROWDSEC_INTERVAL: "2" });
    expect(fromEnv?.crowdsec).toEqual({ lapiUrl: "http://lapi:8080", key: "k", intervalSeconds: 2 });
    expect((await loadConfig(required, {}))?.crowdsec).toBeUndefined();
  });

  it.each([
    [["--crowdsec-lapi-url", "http://127.0.0.1:8080"], {}, /CHARON_AGENT_CROWDSEC_KEY is required with --crowdsec-lapi-url/],
    [["--crowdsec-lapi-url", "unix:/run/crowdsec.sock"], { CHARON_AGENT_CROWDSEC_KEY: "k" }, /--crowdsec-lapi-url: 'unix:\/run\/crowdsec.sock' is not http or https/],
    [["--crowdsec-interval", "5"], {}, /--crowdsec-interval needs --crowdsec-lapi-url/],
    [["--crowdsec-lapi-url", "http://x", "--crowdsec-interval", "0"], { CHARON_AGENT_CROWDSEC_KEY: "k" }, /--crowdsec-interval: '0' is not a whole number/],
    [["--crowdsec-key", "k"], {}, /Unknown option '--crowdsec-key'/],
  ])("%j is refused", async (flags, env, message) => {
    await expect(loadConfig([...required, ...flags], env)).rejects.toThrow(message);
  });
});
