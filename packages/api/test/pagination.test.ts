import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testHost } from "./proxy-host-samples.js";
import { FAKE_CLOUDFLARE_TOKEN, testApi, type TestApi } from "../../../test/support/api.js";

let api: TestApi;
const created = new Map<string, number[]>();

/** The listings whose body is the documents' plain array, with what creates one item of each (in this order). */
const listings = [
  {
    path: "/api/nginx/dns-providers",
    body: (n: number) => ({ name: `Cloudflare ${n}`, acme_dns_provider: "cloudflare", meta: { CF_API_TOKEN: FAKE_CLOUDFLARE_TOKEN } }),
  },
  {
    path: "/api/nginx/proxy-hosts",
    body: () => testHost(),
  },
  {
    path: "/api/nginx/certificates",
    body: (n: number) => ({
      provider: "letsencrypt",
      domain_names: [`site-${n}.example.com`],
      meta: { dns_provider_id: created.get("/api/nginx/dns-providers")?.[0] },
    }),
  },
];
// More than nine, so that an id ordering by text (1, 10, 11, 2, …) would show.
const ITEMS = 12;


beforeAll(async () => {
  api = await testApi({ standardDns: false });
  for (const { path, body } of listings) {
    const ids: number[] = [];
    for (let n = 1; n <= ITEMS; n++) {
      const response = await api.send("POST", path, { body: body(n) });
      expect(response.status).toBe(201);
      ids.push(response.body.id);
    }
    created.set(path, ids);
  }
});
afterAll(() => api.stop());

describe.each(listings)("GET $path pages", ({ path }) => {
  it("walks every item once, lowest id first, with X-Next-Cursor absent only on the last page", async () => {
    const seen: number[] = [];
    const pageSizes: number[] = [];
    let next: string | null = `${path}?limit=5`;
    while (next !== null) {
      const page = await api.send("GET", next);
      expect(page.status).toBe(200);
      pageSizes.push(page.body.length);
      seen.push(...page.body.map((item: { id: number }) => item.id));
      const cursor = page.headers.get("X-Next-Cursor");
      next = cursor === null ? null : `${path}?limit=5&cursor=${encodeURIComponent(cursor)}`;
    }
    const mine = created.get(path) ?? [];
    expect(seen.filter((id) => mine.includes(id))).toEqual([...mine].sort((a, b) => a - b));
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(pageSizes.slice(0, -1).every((size) => size === 5)).toBe(true);
  });

  it("answers a full list without a limit when it fits one page (100 by default)", async () => {
    const page = await api.send("GET", path);
    expect(page.body.length).toBeGreaterThanOrEqual(ITEMS);
    expect(page.headers.get("X-Next-Cursor")).toBeNull();
  });

  it("refuses a cursor that was altered, made by hand or belongs to another listing", async () => {
    const other = listings.find((listing) => listing.path !== path)?.path ?? "";
    const foreign = (await api.send("GET", `${other}?limit=1`)).headers.get("X-Next-Cursor") ?? "";
    const own = (await api.send("GET", `${path}?limit=1`)).headers.get("X-Next-Cursor") ?? "";
    const [payload, signature] = own.split(".") as [string, string];
    const position = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, string>;
    const encode = (key: Record<string, unknown>) => Buffer.from(JSON.stringify(key)).toString("base64url");
    // The id of the item a cursor points after sits at the end of its keys; move it on by 3.
    const skipAhead = Object.fromEntries(
      Object.entries(position).map(([name, value]) => [name, value.replace(/(\d+)$/, (id) => String(Number(id) + 3).padStart(id.length, "0"))]),
    );
    expect(skipAhead).not.toEqual(position);
    const signedButAltered = [foreign, `${encode(skipAhead)}.${signature}`, `${encode({ pk: "", sk: "" })}.${signature}`];
    for (const cursor of signedButAltered) {
      const answer = await api.send("GET", `${path}?cursor=${encodeURIComponent(cursor)}`);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: "Invalid cursor", details: expect.stringContaining("cursor") });
    }
    // Not even in the form the API hands out (the document's pattern): the key alone, as a
    // hand-made cursor would be, or junk.
    for (const cursor of [encode(skipAhead), encode(position), "not-a-cursor", `${payload}.${signature}.x`]) {
      const answer = await api.send("GET", `${path}?cursor=${encodeURIComponent(cursor)}`);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: "Invalid cursor", details: expect.stringMatching(/^cursor: .*start again without it/) });
    }
    expect((await api.send("GET", `${path}?limit=1&cursor=${encodeURIComponent(own)}`)).status).toBe(200);
  });

  it("takes limit as plain decimal 1–500 only, as ids are taken", async () => {
    for (const limit of ["0", "501", "ten", "1e2", "0x10", "+5", "010", "5.0", " 5", "-1", "1_0"]) {
      const answer = await api.send("GET", `${path}?limit=${encodeURIComponent(limit)}`);
      expect(answer.status, limit).toBe(400);
      expect(answer.body.details, limit).toMatch(/^limit: /);
    }
    expect((await api.send("GET", `${path}?limit=1e2`)).body.details).toBe("limit: '1e2' is not a whole number from 1 to 500 in plain decimal digits");
    // 0 is an integer: the message gives the range it is outside of, not a wrong reason.
    expect((await api.send("GET", `${path}?limit=0`)).body.details).toBe("limit: '0' is not a whole number from 1 to 500 in plain decimal digits");
    const page = await api.send("GET", `${path}?limit=3`);
    expect(page.body).toHaveLength(3);
  });
});
