/**
 * `npm run bench:console`: what the console costs a person over the API it shows.
 *
 * - The first screen's JavaScript and CSS (every asset `index.html` loads), gzip-compressed as a
 *   CDN serves them. Target ≤ 150 KB.
 * - `npm start` (its own DynamoDB Local, the console it builds), a DNS provider with 1 000
 *   credentials created through the API; then, alternating, ROUNDS times each:
 *   - curl fetching the whole list as the API pages it (500 a page, the largest), Bearer token;
 *   - Debian's Chromium, signed in, navigating to the provider's Manage Credentials screen until
 *     it is usable: all 1 000 credentials loaded (the table no longer busy, "Showing 100 of 1000
 *     credentials."; its filter searches them all) and the first 100 rows drawn with their buttons,
 *     the moment a MutationObserver in the page sees it (wall-clock ms from the navigation's start).
 * Prints medians, and last the ratio of the console's time to its target (1.5 × curl + 300 ms):
 * ≤ 1 meets it.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { freePort } from "@charon/local";
import { launchChromium } from "../harness/chromium.js";
import { npmStart } from "../support/npm-start.js";
import { jsonApi } from "./json-api.js";

const CREDENTIALS = 1_000;
const ROUNDS = 7;
/** Rows the console draws at once (`PAGE` in its credentials screen). */
const SHOWN = 100;
const PARALLEL = 8;
const FIRST_SCREEN_TARGET_BYTES = 150 * 1024;
const dist = fileURLToPath(new URL("../../packages/console/dist/", import.meta.url));
const run = promisify(execFile);

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** gzip bytes of every script and stylesheet `index.html` loads (after `npm start` built them). */
async function firstScreenBytes(): Promise<{ bytes: number; files: string[] }> {
  const html = await readFile(join(dist, "index.html"), "utf8");
  const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
  let bytes = 0;
  for (const file of files) bytes += gzipSync(await readFile(join(dist, file)), { level: 9 }).length;
  return { bytes, files };
}

async function main(): Promise<void> {
  const token = `chrn_${randomBytes(24).toString("hex")}`;
  const server = await npmStart({
    PORT: String(await freePort()),
    CHARON_DATA_DIR: await mkdtemp(join(tmpdir(), "charon-bench-console-")),
    CHARON_BOOTSTRAP_TOKEN: token,
    AWS_ENDPOINT_URL_DYNAMODB: "", // its own
  });
  const browser = await launchChromium();
  try {
    const api = jsonApi<{ id: number }>(server.origin, token);
    const provider = await api("POST", "/api/v1/dns-providers", { name: "Bench", acme_dns_provider: "cloudflare", meta: { CF_API_TOKEN: "bench-token" } });
    await api("POST", `/api/v1/dns-providers/${provider.id}/enable-multi-credential`);
    let next = 1;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        // The migrated catch-all is one of the 1 000.
        while (next < CREDENTIALS) {
          const i = next++;
          await api("POST", `/api/v1/dns-providers/${provider.id}/credentials`, {
            name: `Customer ${i}`,
            zone_filter: `customer-${i}.example.com,*.customer-${i}.example.net`,
            credentials: { api_token: `token-${i}` },
          });
        }
      }),
    );

    const list = `${server.origin}/api/v1/dns-providers/${provider.id}/credentials?limit=500`;
    const curlOnce = async (): Promise<number> => {
      const start = Date.now();
      let url: string | undefined = list;
      let rows = 0;
      while (url) {
        const { stdout } = await run("curl", ["-sS", "--fail", "-H", `Authorization: Bearer ${token}`, url], { maxBuffer: 64 * 1024 * 1024 });
        const page = JSON.parse(stdout) as { credentials: unknown[]; next_cursor: string | null };
        rows += page.credentials.length;
        url = page.next_cursor ? `${list}&cursor=${encodeURIComponent(page.next_cursor)}` : undefined;
      }
      const elapsed = Date.now() - start;
      if (rows !== CREDENTIALS) throw new Error(`curl listed ${rows} credentials, not ${CREDENTIALS}`);
      return elapsed;
    };

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.origin}/`);
    await page.getByLabel("API token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("navigation", { name: "Sections" }).waitFor();
    const screen = `${server.origin}/dns-providers/${provider.id}/credentials`;
    // The moment the list is usable, as the page sees it: Playwright's own waiting polls, which
    // would add its polling interval to the time. Run by the browser before the page's scripts
    // (so the console's CSP, which refuses eval, does not apply to it).
    const usableText = `Showing ${SHOWN} of ${CREDENTIALS} credentials.`;
    await context.addInitScript(`
      new MutationObserver((_, observer) => {
        const shown = [...document.querySelectorAll('[role="status"]')].some((e) => e.textContent === ${JSON.stringify(usableText)});
        if (shown && document.querySelector('table[aria-busy="false"] tbody tr:nth-child(${SHOWN}) button')) {
          window.charonUsableAt = Date.now();
          observer.disconnect();
        }
      }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
    `);
    const consoleOnce = async (): Promise<number> => {
      await page.goto("about:blank");
      const start = Date.now();
      await page.goto(screen, { waitUntil: "commit" });
      await page.getByText(usableText, { exact: true }).waitFor({ timeout: 60_000 });
      await page.locator(`table[aria-busy="false"] tbody tr:nth-child(${SHOWN}) button`).first().waitFor();
      return (await page.evaluate<number>("window.charonUsableAt")) - start;
    };

    // One of each unmeasured first (JIT, DynamoDB Local's caches, the browser's cache of the assets).
    await curlOnce();
    await consoleOnce();
    const curlMs: number[] = [];
    const consoleMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      curlMs.push(await curlOnce());
      consoleMs.push(await consoleOnce());
    }

    const { bytes, files } = await firstScreenBytes();
    const curl = median(curlMs);
    const shown = median(consoleMs);
    const target = 1.5 * curl + 300;
    console.log(`first screen (${files.join(", ")}): ${(bytes / 1024).toFixed(1)} KB gzip (target <= ${FIRST_SCREEN_TARGET_BYTES / 1024} KB)`);
    console.log(`${CREDENTIALS} credentials, median of ${ROUNDS}: curl ${curl.toFixed(0)} ms; console, navigation to the list usable ${shown.toFixed(0)} ms`);
    console.log(`console / (1.5 x curl + 300 ms): ${(shown / target).toFixed(2)} (target <= 1)`);
  } finally {
    await browser.close();
    await server.interrupt();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
