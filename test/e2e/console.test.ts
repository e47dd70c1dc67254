import { randomBytes, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort } from "@charon/local";
import { axeViolations, launchChromium } from "../harness/chromium.js";
import type { JsonBody } from "../support/dns-app.js";
import { npmStart, type StartedServer } from "../support/npm-start.js";

/**
 * Issue 12: the console in Debian's Chromium against `npm start` (the console it builds and serves
 * at `/`, the API at `/api`), doing the documents' flows as a person would: by labels, roles and
 * visible text. Certificates are issued by the run's Pebble, checking DNS-01 on its PowerDNS.
 * The tests run in order on one signed-in page, each continuing where the previous one left off.
 */
const s = randomBytes(3).toString("hex");
const zone = `console-${s}.test`;
const pdns = { url: inject("powerdnsApiUrl"), key: inject("powerdnsApiKey") };
const bootstrapToken = `chrn_${randomBytes(24).toString("hex")}`;
// The README's picture. Each run draws other names and times, so a run writes it beside the test
// output (git-ignored) and refreshes docs/console.png only when asked, or when it is missing:
// `CHARON_UPDATE_SCREENSHOT=1 npx vitest run test/e2e/console.test.ts`.
const readmeScreenshot = fileURLToPath(new URL("../../docs/console.png", import.meta.url));
const screenshot =
  process.env["CHARON_UPDATE_SCREENSHOT"] === "1" || !existsSync(readmeScreenshot)
    ? readmeScreenshot
    : fileURLToPath(new URL("../../test-results/console.png", import.meta.url));

let server: StartedServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let attacker: Server | undefined;

/** The API as a script calls it (Bearer), to set up and to check what the console did. */
async function bearer(method: string, path: string, body?: unknown): Promise<{ status: number; body: JsonBody }> {
  const response = await fetch(`${server.origin}${path}`, {
    method,
    headers: { Authorization: `Bearer ${bootstrapToken}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : text };
}

async function go(path: string): Promise<void> {
  await page.getByRole("navigation", { name: "Sections" }).waitFor();
  // Client-side navigation, as a link click does (scripts given as text run in the page, not here).
  await page.evaluate(`history.pushState(null, "", ${JSON.stringify(path)}); dispatchEvent(new PopStateEvent("popstate"))`);
}

beforeAll(async () => {
  const created = await fetch(`${pdns.url}/api/v1/servers/localhost/zones`, {
    method: "POST",
    headers: { "x-api-key": pdns.key, "content-type": "application/json" },
    body: JSON.stringify({ name: `${zone}.`, kind: "Native", nameservers: [`ns1.${zone}.`] }),
  });
  expect(created.status).toBe(201);
  server = await npmStart({
    PORT: String(await freePort()),
    CHARON_DATA_DIR: await mkdtemp(join(tmpdir(), "charon-console-")),
    CHARON_BOOTSTRAP_TOKEN: bootstrapToken,
    CHARON_TABLE_NAME: `console-${randomUUID()}`,
    AWS_ENDPOINT_URL_DYNAMODB: inject("dynamodbEndpoint"),
    CHARON_ACME_DIRECTORY_URL: inject("pebbleDirectoryUrl"),
    CHARON_DNS_RESOLVERS: inject("powerdnsDnsAddress"),
    // The harness's PowerDNS API is on loopback, which the outbound policy refuses by default.
    CHARON_OUTBOUND_ALLOW: "loopback",
  });
  expect((await bearer("PUT", "/api/v1/settings", { dns_propagation_timeout_seconds: 300, dns_polling_interval_seconds: 2 })).status).toBe(200);
  browser = await launchChromium();
  context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  attacker?.close();
  await server?.interrupt();
});

describe("the console", () => {
  it("signs in with a pasted token: a wrong one is refused beside the field; the token is kept nowhere in the browser", async () => {
    await page.goto(`${server.origin}/`);
    const field = page.getByLabel("API token");
    await field.fill("chrn_not_a_token_of_this_server_0000");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/token/i);
    expect(await field.getAttribute("aria-invalid")).toBe("true");

    await field.fill(bootstrapToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("navigation", { name: "Sections" }).waitFor();
    // A reload keeps the session (the cookie), and nothing readable by scripts holds the token.
    await page.reload();
    await page.getByRole("navigation", { name: "Sections" }).waitFor();
    const stored = await page.evaluate<string>("JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookies: document.cookie })");
    expect(stored).not.toContain(bootstrapToken);
    const cookies = await context.cookies(`${server.origin}/api/`);
    expect(cookies.map((cookie) => [cookie.name, cookie.httpOnly, cookie.sameSite])).toContainEqual(["charon_session", true, "Strict"]);
    expect(cookies.map((cookie) => cookie.value)).not.toContain(bootstrapToken);
  });

  it("adds a PowerDNS provider, enables multi-credential mode through the documents' dialog, and shows the migrated catch-all", async () => {
    await go("/dns-providers");
    await page.getByRole("button", { name: "Add DNS provider" }).click();
    const add = page.getByRole("dialog", { name: "Add DNS provider" });
    await add.getByLabel("Name").fill("PowerDNS");
    await add.getByLabel("Provider type").selectOption("powerdns");
    await add.getByLabel("API URL").fill(pdns.url);
    await add.getByLabel("API key").fill(pdns.key);
    await add.getByRole("button", { name: "Save provider" }).click();
    const card = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: "PowerDNS" }) });
    await expect.poll(() => card.textContent()).toContain("Multi-Credential Mode: Disabled");

    await card.getByRole("button", { name: "Enable Multi-Credential" }).click();
    const dialog = page.getByRole("dialog", { name: /Enable Multi-Credential/ });
    const text = await dialog.textContent();
    expect(text).toContain("Convert your existing provider credential into a “catch-all” credential");
    expect(text).toContain("This change is reversible");
    await dialog.getByRole("button", { name: "Enable", exact: true }).click();
    await expect.poll(() => card.textContent()).toContain("Multi-Credential Mode: Enabled");
    expect(await page.getByRole("status").first().textContent()).toMatch(/no zone filter \(catch-all\)/);

    await card.getByRole("link", { name: "Manage Credentials" }).click();
    const table = page.getByRole("table", { name: "Credentials of PowerDNS" });
    await expect.poll(() => table.textContent()).toMatch(/Primary Credential.*\(catch-all\)/);
  });

  it("adds a credential: a zone filter with a space is refused beside the field as typed and after saving, the corrected one is saved", async () => {
    await page.getByRole("button", { name: "Add Credential" }).click();
    const dialog = page.getByRole("dialog", { name: "Add Credential" });
    await dialog.getByLabel("Credential Name").fill("Console zone");
    const filter = dialog.getByLabel("Zone Filter");
    const describedBy = async () => {
      const ids = (await filter.getAttribute("aria-describedby"))?.split(" ") ?? [];
      return (await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()))).join(" ");
    };
    // As typed, before saving: the server's own rules (@charon/zones, loaded with the dialog) give the API's words.
    await filter.fill(`${zone}, api.example.org`);
    await expect.poll(() => filter.getAttribute("aria-invalid")).toBe("true");
    expect(await describedBy()).toContain("Zone filter cannot contain spaces");
    await dialog.getByLabel("API URL").fill(pdns.url);
    await dialog.getByLabel("API key").fill(pdns.key);
    const refused = page.waitForResponse((response) => response.request().method() === "POST" && response.url().endsWith("/credentials"));
    await dialog.getByRole("button", { name: "Save Credential" }).click();
    // The server refuses it too (its 400 is the same text): the dialog stays, the field still says why.
    expect((await refused).status()).toBe(400);
    await expect.poll(() => filter.getAttribute("aria-invalid")).toBe("true");
    expect(await describedBy()).toContain("Zone filter cannot contain spaces");

    await filter.fill(`${zone},`);
    await expect.poll(() => describedBy()).toContain("Zone filter has an empty entry");
    await filter.fill(zone);
    await expect.poll(() => filter.getAttribute("aria-invalid")).toBeNull();
    expect(await describedBy()).not.toContain("Zone filter");
    await dialog.getByRole("button", { name: "Save Credential" }).click();
    await dialog.waitFor({ state: "detached" });
    const row = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "Console zone" }) });
    await expect.poll(() => row.textContent()).toContain(zone);
  });

  it("tests zone matching: a name of the zone chooses the new credential, with every candidate", async () => {
    await page.getByRole("link", { name: "Test zone matching" }).first().click();
    await page.getByLabel("Domain").fill(`www.${zone}`);
    await page.getByRole("button", { name: "Test", exact: true }).click();
    const result = page.getByRole("status", { name: "Match result" });
    await expect.poll(() => result.textContent()).toContain(`www.${zone} uses “Console zone” (exact match of ${zone}`);
    const candidates = await page.getByRole("table", { name: "Candidates" }).textContent();
    expect(candidates).toContain(`${zone}exact match`);
    expect(candidates).toContain("(catch-all)catch-all");
  });

  it("requests a certificate and watches it become active, naming the credential that wrote its value", async () => {
    await go("/certificates");
    await page.getByRole("button", { name: "Request certificate" }).click();
    const dialog = page.getByRole("dialog", { name: "Request certificate" });
    await dialog.getByLabel("Domain names").fill(`www.${zone}`);
    await dialog.getByRole("button", { name: "Request" }).click();
    const row = page.getByRole("row").filter({ hasText: `www.${zone}` });
    // Pending with the order's step (the order takes seconds: propagation is polled every 2 s),
    // then active once Pebble has checked the value on PowerDNS: the page polls on its own.
    await expect.poll(() => row.textContent(), { interval: 50 }).toMatch(/pendingstep: /);
    await expect.poll(() => row.textContent(), { timeout: 60_000, interval: 250 }).toMatch(/active/);
    expect(await row.textContent()).toContain(`www.${zone}: Console zone`);
    // Issued: "Renew" (not "Retry"), and the cell holding two buttons starts and ends (its border) where the row's other cells do.
    await row.getByRole("button", { name: /^Renew / }).waitFor();
    const edges = await row.locator("th, td").evaluateAll((cells) => cells.map((cell) => `${cell.getBoundingClientRect().top}-${cell.getBoundingClientRect().bottom}`));
    expect(new Set(edges).size).toBe(1);
    const download = page.waitForEvent("download");
    await row.getByRole("link", { name: /Download/ }).click();
    expect((await download).suggestedFilename()).toMatch(/\.zip$/);
  }, 90_000);

  it("refuses to delete a credential in use, listing the affected domains", async () => {
    const providers = (await bearer("GET", "/api/v1/dns-providers")).body as Array<{ id: number }>;
    await go(`/dns-providers/${providers[0]!.id}/credentials`);
    await page.getByRole("button", { name: "Delete Console zone" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete Console zone?" });
    await dialog.getByRole("button", { name: "Delete", exact: true }).click();
    const affected = dialog.getByRole("list", { name: "Affected domains" });
    await expect.poll(() => affected.textContent()).toBe(`www.${zone}`);
    await dialog.getByRole("button", { name: "Close" }).first().click();
    expect((await bearer("GET", `/api/v1/dns-providers/${providers[0]!.id}/credentials`)).body.credentials.map((c: { name: string }) => c.name)).toContain("Console zone");
  });

  it("adds a proxy host like Nginx Proxy Manager's form: a bad port is refused beside its field; then its certificate and WAF mode", async () => {
    await go("/proxy-hosts");
    await page.getByRole("button", { name: "Add proxy host" }).click();
    const dialog = page.getByRole("dialog", { name: "New proxy host" });
    await dialog.getByLabel("Domain names").fill(`www.${zone}`);
    await dialog.getByLabel("Forward hostname / IP").fill("10.0.0.5");
    const port = dialog.getByLabel("Forward port");
    await port.fill("99999");
    await dialog.getByRole("tab", { name: "SSL" }).click();
    await dialog.getByLabel("SSL certificate").selectOption({ label: `www.${zone} (active)` });
    await dialog.getByLabel("Force SSL").check();
    await dialog.getByRole("button", { name: "Save" }).click();
    // The API names forward_port: the form goes back to the tab holding it and shows why.
    await expect.poll(() => port.getAttribute("aria-invalid")).toBe("true");
    const described = (await port.getAttribute("aria-describedby"))!;
    expect(await page.locator(`[id="${described}"]`).textContent()).toMatch(/^forward_port: /);

    await port.fill("3000");
    await dialog.getByRole("tab", { name: "WAF" }).click();
    await dialog.getByLabel(/Web application firewall/).selectOption("block");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    const row = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: `www.${zone}` }) });
    await expect.poll(() => row.textContent()).toContain("http://10.0.0.5:3000");
    expect(await row.textContent()).toContain(`www.${zone} (active)`);
    expect(await row.textContent()).toContain("block");
    const [host] = (await bearer("GET", "/api/nginx/proxy-hosts")).body as Array<{ ssl_forced: boolean; waf_enabled: boolean; waf_mode: string; certificate_id: number }>;
    expect(host).toMatchObject({ ssl_forced: true, waf_enabled: true, waf_mode: "block" });
    expect(host!.certificate_id).toBeGreaterThan(0);
  });

  it("creates a scoped token whose value is shown once", async () => {
    await go("/tokens");
    await page.getByRole("button", { name: "Create token" }).click();
    const dialog = page.getByRole("dialog", { name: "Create API token" });
    await dialog.getByLabel("Name").fill("ci pipeline");
    await dialog.getByLabel("Permission").selectOption("scoped");
    await dialog.getByLabel("Proxy hosts").selectOption("write");
    await dialog.getByRole("button", { name: "Create token" }).click();
    const value = (await page.getByLabel("Token value").textContent())!;
    expect(value).toMatch(/^chrn_/);
    // The token works, with exactly the chosen scope.
    const asIt = (path: string) => fetch(`${server.origin}${path}`, { headers: { Authorization: `Bearer ${value}` } }).then((r) => r.status);
    expect(await asIt("/api/nginx/proxy-hosts")).toBe(200);
    expect(await asIt("/api/nginx/certificates")).toBe(403);
    const row = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "ci pipeline" }) });
    expect(await row.textContent()).toContain("proxy_hosts write");

    await page.reload();
    await page.getByRole("table", { name: "API tokens" }).waitFor();
    expect(await page.content()).not.toContain(value);
  });

  it("filters the audit log and exports it as CSV", async () => {
    await go("/audit-log");
    await page.getByLabel("Action").fill("credential_created");
    await page.getByRole("button", { name: "Apply filters" }).click();
    const entries = page.getByRole("table", { name: "Audit log entries" });
    await expect.poll(() => entries.textContent()).not.toContain("certificate_issued");
    expect(await entries.textContent()).toContain("Console zone");

    const download = page.waitForEvent("download");
    await page.getByRole("link", { name: "Export CSV" }).click();
    const csv = await readFile((await (await download).path())!, "utf8");
    expect(csv.split(/\r?\n/)[0]).toContain("action");
    expect(csv).toContain("credential_created");
    expect(csv).toContain("Console zone");
    expect(csv).not.toContain("certificate_issued");
  });

  it("shows each credential's usage, and the low success rate alert once the catch-all failed", async () => {
    // A name in no zone of PowerDNS's: the catch-all is chosen and fails to write its value.
    const failing = await bearer("POST", "/api/nginx/certificates", {
      provider: "letsencrypt",
      domain_names: [`www.nowhere-${s}.test`],
      meta: { dns_challenge: true, dns_provider_id: 1 },
    });
    expect(failing.status).toBe(201);
    await expect.poll(async () => (await bearer("GET", `/api/nginx/certificates/${failing.body.id}`)).body.status, { timeout: 30_000 }).toBe("failed");
    await go("/usage");
    const usage = page.getByRole("table", { name: "Usage per credential" });
    const zoneRow = usage.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "Console zone" }) });
    await expect.poll(() => zoneRow.textContent()).toMatch(/^Console zone100 %110/);
    const alert = page.getByRole("alert").filter({ hasText: "Low Success Rate Alert" });
    await expect.poll(() => alert.textContent()).toContain("Primary Credential");

    // Never issued: nothing to download or renew; "Retry" asks the renew endpoint to try its issuance again.
    await go("/certificates");
    const row = page.getByRole("row").filter({ hasText: `www.nowhere-${s}.test` });
    await row.getByRole("button", { name: /^Retry / }).click();
    await expect.poll(async () => (await bearer("GET", `/api/nginx/certificates/${failing.body.id}`)).body.renewal_requested_at).toBeTruthy();
    expect(await row.getByRole("button", { name: /^Renew / }).count()).toBe(0);
    expect(await row.getByRole("link", { name: /^Download / }).count()).toBe(0);
  }, 60_000);

  it("refuses a forged request from a page of another origin", async () => {
    const providers = (await bearer("GET", "/api/v1/dns-providers")).body as Array<{ id: number; multi_credential_enabled: boolean }>;
    const target = `${server.origin}/api/v1/dns-providers/${providers[0]!.id}/disable-multi-credential`;
    // What an attacker's page does: a form that posts to the API as soon as it loads, riding on
    // the signed-in browser's cookie (another port of 127.0.0.1 is another origin, the same site).
    attacker = createServer((_, response) => {
      response.setHeader("Content-Type", "text/html");
      response.end(`<form method="post" action="${target}"></form><script>document.forms[0].submit()</script>`);
    });
    const port = await freePort();
    await new Promise<void>((resolve) => attacker!.listen(port, "127.0.0.1", resolve));
    const forged = await context.newPage();
    const answer = forged.waitForResponse(target);
    await forged.goto(`http://127.0.0.1:${port}/`);
    const response = await answer;
    expect(response.status()).toBe(403);
    expect(await response.text()).toContain("Cross-site request refused");
    await forged.close();
    const after = (await bearer("GET", `/api/v1/dns-providers/${providers[0]!.id}`)).body;
    expect(after.multi_credential_enabled).toBe(true);
  });

  it("has no serious accessibility violations on any screen, and fits a phone's width", async () => {
    const providerId = ((await bearer("GET", "/api/v1/dns-providers")).body as Array<{ id: number }>)[0]!.id;
    const screens = [
      "/proxy-hosts",
      "/certificates",
      "/dns-providers",
      `/dns-providers/${providerId}/credentials`,
      `/zone-matching?provider=${providerId}`,
      `/usage?provider=${providerId}`,
      "/audit-log",
      "/tokens",
      "/agents",
      "/security",
    ];
    const found: string[] = [];
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 800 });
      for (const path of screens) {
        await go(path);
        await page.locator("h1").waitFor();
        await page.waitForLoadState("networkidle");
        for (const violation of await axeViolations(page)) {
          if (violation.impact === "serious" || violation.impact === "critical") {
            found.push(`${width}px ${path}: ${violation.id} (${violation.help}) at ${violation.nodes.map((n) => n.target.join(" ")).join(", ")}`);
          }
        }
        // The page itself never scrolls sideways at phone width (wide tables scroll in their own box).
        if (width === 375) expect(await page.evaluate<number>("document.documentElement.scrollWidth"), path).toBeLessThanOrEqual(375);
      }
    }
    // A dialog, too: the credential form.
    await page.setViewportSize({ width: 1280, height: 800 });
    await go(`/dns-providers/${providerId}/credentials`);
    await page.getByRole("button", { name: "Add Credential" }).click();
    for (const violation of await axeViolations(page)) {
      if (violation.impact === "serious" || violation.impact === "critical") found.push(`credential dialog: ${violation.id} (${violation.help})`);
    }
    await page.keyboard.press("Escape");
    expect(found).toEqual([]);
  }, 120_000);

  it("writes the README's screenshot, then signs out", async () => {
    const providerId = ((await bearer("GET", "/api/v1/dns-providers")).body as Array<{ id: number }>)[0]!.id;
    await page.setViewportSize({ width: 1280, height: 720 });
    await go(`/dns-providers/${providerId}/credentials`);
    await page.getByRole("table", { name: "Credentials of PowerDNS" }).waitFor();
    await page.screenshot({ path: screenshot });

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API token").waitFor();
    const after = await page.evaluate(() => fetch("/api/v1/sessions/current").then((r) => r.status));
    expect(after).toBe(401);
  });

  it("offers a read-only token nothing that changes state", async () => {
    const created = await bearer("POST", "/api/v1/tokens", { name: "viewer", permission: "read", expires_at: null });
    expect(created.status).toBe(201);
    await page.getByLabel("API token").fill(created.body.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("navigation", { name: "Sections" }).waitFor();
    await go("/dns-providers");
    await page.getByRole("heading", { name: "PowerDNS" }).waitFor();
    expect(await page.getByRole("button", { name: /Add DNS provider|Enable Multi-Credential|Disable Multi-Credential/ }).count()).toBe(0);
    await go("/tokens");
    await page.getByRole("table", { name: "API tokens" }).waitFor();
    expect(await page.getByRole("button", { name: /Create token|Revoke/ }).count()).toBe(0);

    // Revoking the token ends its session at once: the next screen is the sign-in.
    expect((await bearer("DELETE", `/api/v1/tokens/${created.body.id}`)).status).toBeLessThan(300);
    await go("/audit-log");
    await page.getByLabel("API token").waitFor();
  });
});
