import { randomUUID } from "node:crypto";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { describe, expect, it } from "vitest";
import { SecretAlreadyExistsError, SecretStoreError, type Clock } from "@charon/core";
import { freePort } from "@charon/local";
import { MalformedSecretError, SecretsManagerError, SecretsManagerSecretStore } from "@charon/aws";
import { wrapSdkError } from "../src/secrets-manager/errors.js";
import { collect, expectNoSecretIn, secretStoreContract } from "../../../test/contracts/secret-store.contract.js";

// The client finds moto through AWS_ENDPOINT_URL_SECRETS_MANAGER (test/harness/environment.ts).
// Every store here gets its own prefix, so files running in parallel never see each other's secrets.
const testPrefix = () => `test-${randomUUID()}/`;

secretStoreContract("SecretsManagerSecretStore", () =>
  new SecretsManagerSecretStore(new SecretsManagerClient({}), { prefix: testPrefix() }),
);

/** A client that counts the requests it sends, per command. */
function countingClient(): { client: SecretsManagerClient; calls: Map<string, number> } {
  const client = new SecretsManagerClient({});
  const calls = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => (args) => {
      const command = context.commandName ?? "unknown";
      calls.set(command, (calls.get(command) ?? 0) + 1);
      return next(args);
    },
    { step: "initialize", name: "countCalls" },
  );
  return { client, calls };
}

function manualClock(start = Date.parse("2026-01-04T15:30:00Z")): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => new Date(now), advance: (ms) => (now += ms) };
}

describe("SecretsManagerSecretStore", () => {
  it("stores each secret at <prefix><name> as a JSON SecretString", async () => {
    const prefix = testPrefix();
    const { client } = countingClient();
    const store = new SecretsManagerSecretStore(client, { prefix });
    await store.create("dns-credentials/1/42/abc", { api_token: "t" });
    const listed = await collect(
      new SecretsManagerSecretStore(client, { prefix: "" }).list(`${prefix}dns-credentials/`),
    );
    expect(listed.map((s) => s.name)).toEqual([`${prefix}dns-credentials/1/42/abc`]);
  });

  it("a create whose answer was lost after it landed is retried by the SDK and counts as created", async () => {
    const prefix = testPrefix();
    const client = new SecretsManagerClient({});
    let sent = 0;
    // Inside the SDK's retry loop: the first CreateSecret reaches Secrets Manager, then its answer is lost.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== "CreateSecretCommand") return next(args);
        sent++;
        const answer = await next(args);
        if (sent === 1) throw Object.assign(new Error("socket hang up"), { name: "TimeoutError", code: "ECONNRESET" });
        return answer;
      },
      { step: "finalizeRequest", priority: "low", name: "loseFirstCreateAnswer" },
    );
    const store = new SecretsManagerSecretStore(client, { prefix });
    await store.create("dns-credentials/1/7/00", { api_token: "landed" });
    expect(sent).toBe(2);
    expect(await store.get("dns-credentials/1/7/00")).toEqual({ api_token: "landed" });
    // A create by anyone else (another request token) is still refused.
    await expect(store.create("dns-credentials/1/7/00", { api_token: "other" })).rejects.toThrow(SecretAlreadyExistsError);
  });

  it("answers a second read within the TTL from its cache, and asks again after it", async () => {
    const { client, calls } = countingClient();
    const clock = manualClock();
    const store = new SecretsManagerSecretStore(client, { prefix: testPrefix(), cacheTtlMs: 30_000, clock });
    await store.create("cached", { api_key: "k" });

    expect(await store.get("cached")).toEqual({ api_key: "k" });
    clock.advance(29_999);
    expect(await store.get("cached")).toEqual({ api_key: "k" });
    expect(calls.get("GetSecretValueCommand")).toBe(1);

    clock.advance(1);
    expect(await store.get("cached")).toEqual({ api_key: "k" });
    expect(calls.get("GetSecretValueCommand")).toBe(2);
  });

  it("forgets a cached value when this instance deletes it", async () => {
    const { client, calls } = countingClient();
    const store = new SecretsManagerSecretStore(client, { prefix: testPrefix(), clock: manualClock() });
    await store.create("gone", { api_key: "k" });
    await store.get("gone");
    await store.delete("gone");
    expect(await store.get("gone")).toBeUndefined();
    expect(calls.get("GetSecretValueCommand")).toBe(2);
  });

  it("does not cache a miss, so a secret created after a read is found", async () => {
    const { client } = countingClient();
    const store = new SecretsManagerSecretStore(client, { prefix: testPrefix(), clock: manualClock() });
    expect(await store.get("later")).toBeUndefined();
    await store.create("later", { api_key: "k" });
    expect(await store.get("later")).toEqual({ api_key: "k" });
  });

  it("asks every time when the cache is off", async () => {
    const { client, calls } = countingClient();
    const store = new SecretsManagerSecretStore(client, { prefix: testPrefix(), cacheTtlMs: 0 });
    await store.create("uncached", { api_key: "k" });
    await store.get("uncached");
    await store.get("uncached");
    expect(calls.get("GetSecretValueCommand")).toBe(2);
  });

  it("keeps prefixes apart", async () => {
    const client = new SecretsManagerClient({});
    const one = new SecretsManagerSecretStore(client, { prefix: testPrefix() });
    const two = new SecretsManagerSecretStore(client, { prefix: testPrefix() });
    await one.create("shared/name", { api_key: "one" });
    expect(await two.get("shared/name")).toBeUndefined();
    expect(await collect(two.list("shared/"))).toEqual([]);
    await two.create("shared/name", { api_key: "two" });
    expect(await one.get("shared/name")).toEqual({ api_key: "one" });
  });

  it("reports a secret it did not write without quoting it", async () => {
    const prefix = testPrefix();
    const client = new SecretsManagerClient({});
    await client.send(new CreateSecretCommand({ Name: `${prefix}foreign`, SecretString: "plain-s3cr3t-text" }));
    await client.send(new CreateSecretCommand({ Name: `${prefix}array`, SecretString: '["s3cr3t-in-array"]' }));
    const store = new SecretsManagerSecretStore(client, { prefix });

    const foreign = await store.get("foreign").catch((e: unknown) => e);
    expect(foreign).toBeInstanceOf(MalformedSecretError);
    expectNoSecretIn(foreign, { value: "plain-s3cr3t-text" });
    const array = await store.get("array").catch((e: unknown) => e);
    expect(array).toBeInstanceOf(MalformedSecretError);
    expectNoSecretIn(array, { value: "s3cr3t-in-array" });
  });

  it("wraps service failures in typed errors that carry the cause but not the value", async () => {
    // Nothing listens on this port, so every request fails inside the SDK.
    const client = new SecretsManagerClient({ endpoint: `http://127.0.0.1:${await freePort()}`, maxAttempts: 1 });
    const store = new SecretsManagerSecretStore(client, { prefix: testPrefix() });
    const value = { api_token: `s3cr3t-${randomUUID()}` };

    const failures = [
      await store.create("down", value).catch((e: unknown) => e),
      await store.get("down").catch((e: unknown) => e),
      await store.delete("down").catch((e: unknown) => e),
      await collect(store.list("")).catch((e: unknown) => e),
    ];
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(SecretsManagerError);
      expect(failure).toBeInstanceOf(SecretStoreError);
      expect((failure as Error).cause).toBeInstanceOf(Error);
      expectNoSecretIn(failure, value);
    }
    expect((failures[0] as Error).message).toMatch(
      /^Secrets Manager CreateSecret for secret 'down' failed: /,
    );
  });

  it("withholds an SDK message that quotes the value it was sent", () => {
    const value = { api_token: "s3cr3t-quoted" };
    const sdkError = Object.assign(new Error("Value s3cr3t-quoted is invalid"), {
      name: "ValidationException",
      $metadata: { requestId: "req-1" },
    });
    const wrapped = wrapSdkError("CreateSecret", "n", sdkError, value);
    expect(wrapped.message).toBe(
      "Secrets Manager CreateSecret for secret 'n' failed: " +
        "ValidationException (message withheld: it quoted the secret, request req-1)",
    );
    expect(wrapped.cause).toBeUndefined();
    expectNoSecretIn(wrapped, value);
  });
});
