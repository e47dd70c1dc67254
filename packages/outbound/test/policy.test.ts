import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { OutboundRefusedError } from "@charon/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutboundPolicy, parseOutboundAllow, refusal, type ResolveAll } from "@charon/outbound";

/**
 * Issue 8 §5: the one policy for every URL a user supplies. Connections go to a real HTTP server
 * on loopback; names are resolved by an injected resolver where the test needs a name to point
 * somewhere (a metadata address, or one address and then another).
 */
const everything = { loopback: true, private: true };

describe("which addresses the policy allows", () => {
  it("never allows link-local, cloud metadata or special addresses, whatever the configuration", () => {
    const never = {
      "169.254.169.254": "link-local",
      "169.254.170.2": "link-local",
      "fe80::1": "link-local",
      "fd00:ec2::254": "cloud metadata",
      "fd00:ec2::23": "cloud metadata",
      "100.100.100.200": "cloud metadata",
      "168.63.129.16": "cloud metadata",
      "::ffff:169.254.169.254": "link-local",
      "64:ff9b::a9fe:a9fe": "link-local",
      "0.0.0.0": "reserved",
      "::": "reserved",
      "224.0.0.1": "reserved",
      "255.255.255.255": "reserved",
      "192.0.0.192": "reserved",
      "2002:a9fe:a9fe::1": "reserved",
    };
    for (const [address, kind] of Object.entries(never)) {
      expect(refusal(address, everything), address).toContain(kind);
      expect(refusal(address, { ranges: [[...parseOutboundAllow("0.0.0.0/0").ranges![0]!]] }), address).toContain(kind);
    }
  });

  it("allows loopback and private ranges only when configured, and public addresses always", () => {
    for (const address of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) {
      expect(refusal(address, {}), address).toMatch(/loopback address \(allow it with CHARON_OUTBOUND_ALLOW=loopback\)$/);
      expect(refusal(address, { private: true }), address).toContain("loopback");
      expect(refusal(address, { loopback: true }), address).toBeUndefined();
    }
    for (const address of ["10.0.0.5", "172.16.0.1", "192.168.1.1", "100.64.0.1", "fd12:3456::1", "64:ff9b::a00:5"]) {
      expect(refusal(address, {}), address).toContain("private address");
      expect(refusal(address, { loopback: true }), address).toContain("private address");
      expect(refusal(address, { private: true }), address).toBeUndefined();
    }
    for (const address of ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888"]) expect(refusal(address, {}), address).toBeUndefined();
  });

  it("allows a configured CIDR range and nothing next to it", () => {
    const allow = parseOutboundAllow(" 10.20.0.0/24 , fd12::/64");
    expect(refusal("10.20.0.53", allow)).toBeUndefined();
    expect(refusal("10.20.1.53", allow)).toContain("private address");
    expect(refusal("fd12::53", allow)).toBeUndefined();
    expect(refusal("fd13::53", allow)).toContain("private address");
  });

  it("reads CHARON_OUTBOUND_ALLOW, and names an entry it cannot read", () => {
    expect(parseOutboundAllow(undefined)).toEqual({ ranges: [] });
    expect(parseOutboundAllow("loopback,private")).toMatchObject({ loopback: true, private: true });
    expect(() => parseOutboundAllow("loopback,lan")).toThrow(
      "CHARON_OUTBOUND_ALLOW lists 'loopback', 'private' or CIDR ranges separated by commas; 'lan' is none of them",
    );
    expect(() => parseOutboundAllow("10.0.0.0/33")).toThrow(/'10\.0\.0\.0\/33' is none of them/);
  });
});

describe("checking a URL before any request", () => {
  const policy = createOutboundPolicy(everything);

  it("takes http and https only", () => {
    for (const url of ["ftp://pdns.example/", "file:///etc/passwd", "gopher://pdns.example:70/", "javascript:alert(1)"]) {
      expect(() => policy.check(url), url).toThrow(OutboundRefusedError);
    }
    expect(() => policy.check("not a url")).toThrow("not a URL");
    expect(policy.check("https://pdns.example:8081/api").host).toBe("pdns.example:8081");
  });

  it("refuses a literal address however it is spelled", () => {
    for (const url of ["http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://[::ffff:a9fe:a9fe]/", "http://2852039166/", "http://0xa9.0xfe.0xa9.0xfe/"]) {
      expect(() => policy.check(url), url).toThrow(/link-local|cloud metadata/);
    }
  });
});

describe("requests through the policy", () => {
  let server: Server;
  let port: number;
  const hits: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      hits.push(request.url ?? "");
      if (request.url === "/redirect") {
        response.writeHead(302, { location: `http://127.0.0.1:${port}/followed` }).end();
      } else response.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("refuses a loopback server by default, by address and by name, and reaches it when allowed", async () => {
    const strict = createOutboundPolicy();
    await expect(strict.fetch(new URL(`http://127.0.0.1:${port}/refused`))).rejects.toThrow("127.0.0.1 is a loopback address");
    await expect(strict.fetch(new URL(`http://localhost:${port}/refused`))).rejects.toThrow(/localhost: .* is a loopback address/);
    expect(hits).not.toContain("/refused");
    const allowed = createOutboundPolicy({ loopback: true });
    expect((await allowed.fetch(new URL(`http://localhost:${port}/by-name`))).status).toBe(200);
    expect(hits.at(-1)).toBe("/by-name");
  });

  it("checks the address DNS gives at connect time: a name for a metadata address is refused", async () => {
    const resolveAll: ResolveAll = async () => [{ address: "169.254.169.254", family: 4 }];
    const policy = createOutboundPolicy(everything, resolveAll);
    const refused = policy.fetch(new URL("http://metadata.attacker.example/latest/meta-data/"));
    await expect(refused).rejects.toBeInstanceOf(OutboundRefusedError);
    await expect(refused).rejects.toThrow("metadata.attacker.example: 169.254.169.254 is a link-local address; the server does not call it");
  });

  it("cannot be rebound: a name that resolved to an allowed address, then to a refused one, is refused the second time", async () => {
    const answers = ["127.0.0.1", "169.254.169.254"];
    const resolveAll: ResolveAll = async () => [{ address: answers.shift() ?? "169.254.169.254", family: 4 }];
    const policy = createOutboundPolicy({ loopback: true }, resolveAll);
    const first = await policy.fetch(new URL(`http://rebind.example:${port}/first`), { headers: { connection: "close" } });
    expect(first.status).toBe(200);
    await first.text();
    await expect(policy.fetch(new URL(`http://rebind.example:${port}/second`))).rejects.toThrow("169.254.169.254 is a link-local address");
    expect(hits).not.toContain("/second");
  });

  it("keeps only the allowed addresses of a name that has several", async () => {
    const resolveAll: ResolveAll = async () => [
      { address: "169.254.169.254", family: 4 },
      { address: "127.0.0.1", family: 4 },
    ];
    const policy = createOutboundPolicy({ loopback: true }, resolveAll);
    expect((await policy.fetch(new URL(`http://mixed.example:${port}/mixed`))).status).toBe(200);
    expect(hits.at(-1)).toBe("/mixed");
  });

  it("never follows a redirect", async () => {
    const policy = createOutboundPolicy({ loopback: true });
    const answer = await policy.fetch(new URL(`http://127.0.0.1:${port}/redirect`), { redirect: "follow" });
    expect(answer.status).toBe(302);
    expect(answer.headers.get("location")).toBe(`http://127.0.0.1:${port}/followed`);
    expect(hits).not.toContain("/followed");
  });
});
