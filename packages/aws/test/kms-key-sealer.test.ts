import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { KeySealError } from "@charon/core";
import { freePort } from "@charon/local";
import { KmsKeySealer } from "@charon/aws";
import { keySealerContract, privateKeyPem } from "../../../test/contracts/key-sealer.contract.js";

// The client finds moto through AWS_ENDPOINT_URL_KMS (test/harness/environment.ts); every
// sealer here gets a key of its own.
const client = new KMSClient({});
const context1 = { certificate_id: "1" };
const newKeyArn = async () => (await client.send(new CreateKeyCommand({ Description: "charon test" }))).KeyMetadata?.Arn as string;

/** A client that counts the requests it sends, per command. */
function countingClient(): { client: KMSClient; calls: Map<string, number> } {
  const counted = new KMSClient({});
  const calls = new Map<string, number>();
  counted.middlewareStack.add(
    (next, context) => (args) => {
      const command = context.commandName ?? "unknown";
      calls.set(command, (calls.get(command) ?? 0) + 1);
      return next(args);
    },
    { step: "initialize", name: "countCalls" },
  );
  return { client: counted, calls };
}

keySealerContract("KmsKeySealer on moto", async () => new KmsKeySealer({ keyArn: await newKeyArn(), client }));

describe("KmsKeySealer", () => {
  it("makes one KMS call for 1 000 seals and one for opening them all", async () => {
    const { client: counted, calls } = countingClient();
    const keyArn = await newKeyArn();
    const sealer = new KmsKeySealer({ keyArn, client: counted });
    const pem = privateKeyPem();
    const sealed: string[] = [];
    for (let id = 1; id <= 1000; id++) sealed.push(await sealer.seal(pem, { certificate_id: String(id) }));
    expect(Object.fromEntries(calls)).toEqual({ GenerateDataKeyCommand: 1 });

    // A fresh sealer, as another Lambda instance opens what this one sealed.
    const opener = new KmsKeySealer({ keyArn, client: counted });
    for (let id = 1; id <= 1000; id++) expect(await opener.open(sealed[id - 1] as string, { certificate_id: String(id) })).toBe(pem);
    expect(Object.fromEntries(calls)).toEqual({ GenerateDataKeyCommand: 1, DecryptCommand: 1 });
    // 2 000 Encryption SDK messages take seconds of CPU: room for a machine running the whole suite.
  }, 120_000);

  it("asks KMS once when a batch of seals starts on a cold cache", async () => {
    const { client: counted, calls } = countingClient();
    const sealer = new KmsKeySealer({ keyArn: await newKeyArn(), client: counted });
    const ids = Array.from({ length: 20 }, (_, i) => String(i + 1));
    const sealed = await Promise.all(ids.map((id) => sealer.seal(`key ${id}`, { certificate_id: id })));
    expect(calls.get("GenerateDataKeyCommand")).toBe(1);
    expect(await Promise.all(ids.map((id, i) => sealer.open(sealed[i] as string, { certificate_id: id })))).toEqual(
      ids.map((id) => `key ${id}`),
    );
  });

  it("lets the seals after a failed first one try again", async () => {
    const flaky = new KMSClient({});
    let failures = 1;
    flaky.middlewareStack.add(
      (next) => (args) => (failures-- > 0 ? Promise.reject(new Error("KMS throttled")) : next(args)),
      { step: "initialize", name: "failOnce" },
    );
    const sealer = new KmsKeySealer({ keyArn: await newKeyArn(), client: flaky });
    const [first, second] = await Promise.allSettled([sealer.seal("a", context1), sealer.seal("b", context1)]);
    expect(first.status).toBe("rejected");
    expect(second.status).toBe("fulfilled");
    expect(await sealer.open((second as PromiseFulfilledResult<string>).value, context1)).toBe("b");
  });

  it("asks KMS for a new data key once one has sealed its limit", async () => {
    const { client: counted, calls } = countingClient();
    const sealer = new KmsKeySealer({ keyArn: await newKeyArn(), client: counted, dataKeyMaxMessages: 10 });
    for (let id = 1; id <= 25; id++) await sealer.seal("k", { certificate_id: String(id) });
    expect(calls.get("GenerateDataKeyCommand")).toBe(3);
  });

  it("cannot open what another KMS key sealed", async () => {
    const sealed = await new KmsKeySealer({ keyArn: await newKeyArn(), client }).seal(privateKeyPem(), { certificate_id: "1" });
    const error = await new KmsKeySealer({ keyArn: await newKeyArn(), client })
      .open(sealed, { certificate_id: "1" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeySealError);
  });

  it("keeps the sealer's encryption context in the clear header and refuses another sealer's", async () => {
    const keyArn = await newKeyArn();
    const sealed = await new KmsKeySealer({ keyArn, client, encryptionContext: { "charon:purpose": "other" } }).seal("k", {
      certificate_id: "1",
    });
    expect(Buffer.from(sealed, "base64").includes(Buffer.from("charon:purpose"))).toBe(true);
    expect(Buffer.from(sealed, "base64").includes(Buffer.from("certificate_id"))).toBe(false);
    const error = await new KmsKeySealer({ keyArn, client }).open(sealed, { certificate_id: "1" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeySealError);
    expect((error as Error).message).toBe("cannot open the sealed key: it was not sealed by this sealer");
  });

  it("refuses an alias or a malformed ARN when built", () => {
    for (const keyArn of ["alias/charon", "arn:aws:kms:us-east-1:123456789012:alias/charon", "1234abcd-12ab-34cd-56ef-1234567890ab"]) {
      expect(() => new KmsKeySealer({ keyArn })).toThrow(/^keyArn must be a KMS key ARN/);
    }
    expect(() => new KmsKeySealer({ keyArn: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" })).not.toThrow();
  });

  it("reports KMS being unreachable as a KeySealError with the cause", async () => {
    const unreachable = new KMSClient({ endpoint: `http://127.0.0.1:${await freePort()}`, maxAttempts: 1 });
    const pem = privateKeyPem();
    const error = await new KmsKeySealer({ keyArn: await newKeyArn(), client: unreachable })
      .seal(pem, { certificate_id: "1" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeySealError);
    expect((error as Error).message).toMatch(/^cannot seal the key with KMS: /);
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(String(error)).not.toContain(pem.split("\n")[1]);
  });
});
