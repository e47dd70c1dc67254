import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { SecretAlreadyExistsError, type SecretStore, type SecretValue, type StoredSecretInfo } from "@charon/core";

/**
 * What every SecretStore adapter must do, registered as vitest tests. `makeStore` returns a store
 * that no other test file writes to (its own prefix or directory), so files run in parallel.
 */
export function secretStoreContract(adapter: string, makeStore: () => SecretStore | Promise<SecretStore>): void {
  describe(`${adapter}: SecretStore contract`, () => {
    let store: SecretStore;
    beforeAll(async () => {
      store = await makeStore();
    });

    it("returns what was created, unicode and many fields included", async () => {
      const name = uniqueName("roundtrip");
      const value: SecretValue = {
        api_token: marker(),
        unicode: "žluťoučký kůň · 東京 · مرحبا · 🔑🐘",
        quotes: `"'\\\n\t{}[]<>&%$`,
        empty: "",
        long: "x".repeat(4000),
      };
      for (let i = 0; i < 40; i++) value[`field_${i}`] = `value ${i} ${marker()}`;
      await store.create(name, value);
      expect(await store.get(name)).toEqual(value);
    });

    it("gives every reader its own copy of the value", async () => {
      const name = uniqueName("copy");
      await store.create(name, { api_key: "original" });
      const first = await store.get(name);
      if (first) first["api_key"] = "changed by a caller";
      expect(await store.get(name)).toEqual({ api_key: "original" });
    });

    it("refuses to create a name twice and keeps the first value", async () => {
      const name = uniqueName("twice");
      const first = { api_token: marker() };
      const second = { api_token: marker() };
      await store.create(name, first);
      const error = await store.create(name, second).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SecretAlreadyExistsError);
      expect((error as SecretAlreadyExistsError).secretName).toBe(name);
      expectNoSecretIn(error, first, second);
      expect(await store.get(name)).toEqual(first);
    });

    it("answers undefined for a secret that does not exist", async () => {
      expect(await store.get(uniqueName("missing"))).toBeUndefined();
    });

    it("deletes, and deleting a missing secret succeeds", async () => {
      const name = uniqueName("delete");
      await store.create(name, { api_key: marker() });
      await store.delete(name);
      expect(await store.get(name)).toBeUndefined();
      await store.delete(name);
      await store.delete(uniqueName("never-created"));
    });

    it("lists only the names under a prefix, with their creation times", async () => {
      const base = uniqueName("list");
      const inside = [`${base}/a/1`, `${base}/a/2`, `${base}/a/3/deeper`];
      const outside = [`${base}/ab/1`, `${base}/b/1`];
      const before = Date.now();
      for (const name of [...inside, ...outside]) await store.create(name, { api_key: marker() });
      const after = Date.now();

      const listed = await collect(store.list(`${base}/a/`));
      expect(listed.map((s) => s.name).sort()).toEqual([...inside].sort());
      for (const { createdAt } of listed) {
        expect(createdAt).toBeInstanceOf(Date);
        // Secrets Manager keeps whole seconds.
        expect(createdAt.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
        expect(createdAt.getTime()).toBeLessThanOrEqual(after + 1000);
      }

      await store.delete(`${base}/a/2`);
      const remaining = await collect(store.list(`${base}/a/`));
      expect(remaining.map((s) => s.name).sort()).toEqual([`${base}/a/1`, `${base}/a/3/deeper`]);
      expect(await collect(store.list(`${base}/none/`))).toEqual([]);
    });

    it("lists past one page of results", async () => {
      const base = uniqueName("many");
      const names = Array.from({ length: 130 }, (_, i) => `${base}/${String(i).padStart(3, "0")}`);
      for (let start = 0; start < names.length; start += 10) {
        await Promise.all(names.slice(start, start + 10).map((name) => store.create(name, { n: name })));
      }
      const listed = await collect(store.list(`${base}/`));
      expect(listed.map((s) => s.name).sort()).toEqual(names);
    });

    it("lets exactly one of several concurrent creates of a name succeed", async () => {
      const name = uniqueName("race");
      const values = Array.from({ length: 8 }, () => ({ api_token: marker() }));
      const results = await Promise.allSettled(values.map((value) => store.create(name, value)));

      const winners = values.filter((_, i) => results[i]?.status === "fulfilled");
      expect(winners).toHaveLength(1);
      for (const result of results) {
        if (result.status === "rejected") {
          expect(result.reason).toBeInstanceOf(SecretAlreadyExistsError);
          expectNoSecretIn(result.reason, ...values);
        }
      }
      expect(await store.get(name)).toEqual(winners[0]);
    });
  });
}

/** Fails if any value's text appears anywhere in the error: message, stack, fields or causes. */
export function expectNoSecretIn(error: unknown, ...values: SecretValue[]): void {
  const text = errorText(error);
  for (const value of values) {
    for (const field of Object.values(value)) {
      if (field.length >= 4) expect(text).not.toContain(field);
    }
    expect(text).not.toContain(JSON.stringify(value));
  }
}

/** Everything a log line could show of an error and its causes. */
export function errorText(error: unknown, depth = 0): string {
  if (depth > 5 || error === undefined || error === null) return "";
  if (!(error instanceof Error)) return String(error);
  let fields = "";
  try {
    fields = JSON.stringify(error);
  } catch {
    fields = Object.keys(error).join(",");
  }
  return [String(error), error.stack ?? "", fields, errorText(error.cause, depth + 1)].join("\n");
}

export async function collect(items: AsyncIterable<StoredSecretInfo>): Promise<StoredSecretInfo[]> {
  const all: StoredSecretInfo[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** Logical names shaped like the real ones (`dns-credentials/1/42/<nonce>`). */
function uniqueName(label: string): string {
  return `contract/${label}/${randomUUID()}`;
}

/** A value unlikely to appear in any text by accident. */
function marker(): string {
  return `s3cr3t-${randomUUID()}`;
}
