import { generateKeyPairSync } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { KeySealError, type KeySealer } from "@charon/core";

/** A fresh PEM private key, as issuance produces one per certificate. */
export function privateKeyPem(): string {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

/** The key's DER bytes, base64, as they appear between a PEM's header and footer. */
function pemBody(pem: string): string {
  return pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
}

/** Fails if `text` carries the key: its PEM, its base64 body or any 16-character piece of it, its DER bytes. */
export function expectNoKeyIn(text: string, pem: string): void {
  const body = pemBody(pem);
  const der = Buffer.from(body, "base64");
  expect(text).not.toContain(pem.trim());
  for (let i = 0; i + 16 <= body.length; i += 16) expect(text).not.toContain(body.slice(i, i + 16));
  for (const decoded of [Buffer.from(text, "base64"), Buffer.from(text, "base64url"), Buffer.from(text, "utf8")]) {
    expect(decoded.includes(der)).toBe(false);
    expect(decoded.includes(Buffer.from(body))).toBe(false);
  }
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error("expected the sealed key to be refused, and it opened"),
    (error: unknown) => error,
  );
}

/**
 * The sealed value with one character of its encoded form changed, at `fraction` of its length
 * (padding aside: turning `=` into data appends a byte, which is no change to what was sealed).
 */
function altered(sealed: string, fraction: number): string {
  const end = sealed.replace(/=+$/, "").length;
  const at = Math.min(end - 1, Math.floor(end * fraction));
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const original = sealed[at] as string;
  const replacement = alphabet[(alphabet.indexOf(original) + 7) % alphabet.length] as string;
  return sealed.slice(0, at) + (original === replacement ? "-" : replacement) + sealed.slice(at + 1);
}

/**
 * What every KeySealer adapter must do, registered as vitest tests. `makeSealer` returns a sealer
 * over its own key (a temporary directory, a fresh KMS key).
 */
export function keySealerContract(adapter: string, makeSealer: () => KeySealer | Promise<KeySealer>): void {
  describe(`${adapter}: KeySealer contract`, () => {
    let sealer: KeySealer;
    let pem: string;
    let sealed: string;
    const context = { certificate_id: "12", purpose: "certificate-private-key" };
    beforeAll(async () => {
      sealer = await makeSealer();
      pem = privateKeyPem();
      sealed = await sealer.seal(pem, context);
    });

    it("opens what it sealed under the same context, in any order of its entries", async () => {
      expect(await sealer.open(sealed, context)).toBe(pem);
      expect(await sealer.open(sealed, { purpose: "certificate-private-key", certificate_id: "12" })).toBe(pem);
    });

    it("seals the same key differently each time, and each opens", async () => {
      const again = await sealer.seal(pem, context);
      expect(again).not.toBe(sealed);
      expect(await sealer.open(again, context)).toBe(pem);
    });

    it("round-trips a large RSA key and text beyond ASCII", async () => {
      const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 4096 });
      const rsa = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
      expect(await sealer.open(await sealer.seal(rsa, context), context)).toBe(rsa);
      const text = "žluťoučký kůň · 東京 · 🔑";
      expect(await sealer.open(await sealer.seal(text, { certificate_id: "7" }), { certificate_id: "7" })).toBe(text);
    });

    it("refuses another context: a changed value, an extra entry, a missing one", async () => {
      const wrongContexts: Array<Record<string, string>> = [
        { certificate_id: "13", purpose: "certificate-private-key" },
        { ...context, extra: "x" },
        { certificate_id: "12" },
        {},
      ];
      for (const wrong of wrongContexts) {
        const error = await failure(sealer.open(sealed, wrong));
        expect(error).toBeInstanceOf(KeySealError);
        expectNoKeyIn(String(error), pem);
      }
    });

    it("refuses a sealed value that was altered, truncated or is not one at all", async () => {
      const candidates = [
        altered(sealed, 0.1),
        altered(sealed, 0.5),
        altered(sealed, 0.9),
        altered(sealed, 1),
        sealed.slice(0, Math.floor(sealed.length / 2)),
        sealed.slice(0, -4),
        "",
        "not a sealed key",
      ];
      for (const candidate of candidates) {
        const error = await failure(sealer.open(candidate, context));
        expect(error).toBeInstanceOf(KeySealError);
        expectNoKeyIn(String(error), pem);
      }
    });

    it("keeps the key out of the sealed form", () => {
      expectNoKeyIn(sealed, pem);
    });
  });
}
