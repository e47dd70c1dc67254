import { describe, expect, it, beforeAll } from "vitest";
import { TransactionConflict, ConditionFailed, createDynamoTable, type DynamoTable } from "@charon/aws";
import { freshTable } from "../../../test/harness/dynamodb.js";
import { ValidationError } from "@charon/core";

let table: DynamoTable;
beforeAll(async () => {
  table = await freshTable();
});

describe("DynamoTable", () => {
  it("allocates ids atomically: parallel callers never receive the same id", async () => {
    const ids = await Promise.all(Array.from({ length: 40 }, () => table.nextId("widget")));
    expect(new Set(ids).size).toBe(40);
    expect(Math.min(...ids)).toBe(1);
    expect(Math.max(...ids)).toBe(40);
  });

  it("reports which transaction item failed and what was stored there", async () => {
    await table.put({ pk: "CLAIM#a", sk: "CLAIM", owner: 7 });
    const attempt = table.transact([
      { Put: { TableName: table.name, Item: { pk: "X#1", sk: "X" } } },
      {
        Put: {
          TableName: table.name,
          Item: { pk: "CLAIM#a", sk: "CLAIM", owner: 8 },
          ConditionExpression: "attribute_not_exists(pk)",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        },
      },
    ]);
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionConflict);
    const conflict = error as TransactionConflict;
    expect(conflict.firstFailed()).toBe(1);
    expect(conflict.reasons[1]?.item?.["owner"]).toBe(7);
    expect(await table.get({ pk: "X#1", sk: "X" })).toBeUndefined();
  });

  it("turns a failed put condition into ConditionFailed carrying the stored item", async () => {
    await table.put({ pk: "V#1", sk: "V", version: 2 });
    const error = await table
      .put({ pk: "V#1", sk: "V", version: 3 }, { expression: "version = :v", values: { ":v": 1 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConditionFailed);
    expect((error as ConditionFailed).item?.["version"]).toBe(2);
  });

  it("pages through a partition with opaque cursors", async () => {
    await Promise.all(
      Array.from({ length: 7 }, (_, i) => table.put({ pk: "LIST", sk: `ITEM#${String(i).padStart(3, "0")}` })),
    );
    const first = await table.query({ partition: "LIST", prefix: "ITEM#", limit: 5 });
    expect(first.items).toHaveLength(5);
    const second = await table.query({ partition: "LIST", prefix: "ITEM#", limit: 5, cursor: first.cursor });
    expect(second.items.map((i) => i["sk"])).toEqual(["ITEM#005", "ITEM#006"]);
    await expect(table.query({ partition: "LIST", cursor: "not-a-cursor" })).rejects.toThrow(/cursor/);
  });

  it("refuses, as the client's mistake, a cursor it did not sign for this listing, or outside a narrowed range", async () => {
    await Promise.all(["ITEM#001", "ITEM#002", "ITEM#003", "OTHER#001"].map((sk) => table.put({ pk: "RANGE", sk })));
    await table.put({ pk: "ELSEWHERE", sk: "ITEM#001" });
    await table.put({ pk: "ELSEWHERE", sk: "ITEM#002" });
    const issued = (await table.query({ partition: "RANGE", prefix: "ITEM#", limit: 1 })).cursor!;
    const [payload, signature] = issued.split(".") as [string, string];
    const position = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, string>;
    const encode = (key: Record<string, string>) => Buffer.from(JSON.stringify(key)).toString("base64url");
    // The first character: the last one of a 16-byte MAC in base64url carries padding bits that
    // decoding ignores, so changing it may leave the MAC as it was.
    const flipped = (signature.startsWith("A") ? "B" : "A") + signature.slice(1);
    const forged = [
      encode(position), // the key alone, unsigned: what a hand-made cursor looks like
      `${encode({ ...position, sk: "ITEM#002" })}.${signature}`, // another position under a real signature
      `${payload}.${flipped}`,
      `${payload}.${signature}.${signature}`,
      (await table.query({ partition: "ELSEWHERE", limit: 1 })).cursor!, // another listing's
      "not-a-cursor",
    ];
    for (const bad of forged) {
      const error = await table.query({ partition: "RANGE", prefix: "ITEM#", cursor: bad }).catch((e: unknown) => e);
      expect(error, bad).toBeInstanceOf(ValidationError);
    }
    expect((await table.query({ partition: "RANGE", prefix: "ITEM#", cursor: issued })).items.map((i) => i["sk"])).toEqual(["ITEM#002", "ITEM#003"]);
    // A signed cursor whose position a caller's narrower range excludes is refused too.
    await expect(table.query({ partition: "RANGE", between: ["ITEM#002", "ITEM#009"], cursor: issued })).rejects.toBeInstanceOf(ValidationError);
    expect((await table.query({ partition: "RANGE", between: ["ITEM#000", "ITEM#009"], cursor: issued })).items).toHaveLength(2);
  });

  it("signs cursors with one key per table, created once however many instances start at the same time", async () => {
    const shared = await freshTable();
    await Promise.all(["A", "B", "C"].map((sk) => shared.put({ pk: "P", sk })));
    const instances = Array.from({ length: 6 }, () => createDynamoTable(shared.name));
    const cursors = await Promise.all(instances.map((t) => t.query({ partition: "P", limit: 1 }).then((page) => page.cursor!)));
    expect(new Set(cursors).size).toBe(1);
    for (const instance of instances) {
      expect((await instance.query({ partition: "P", cursor: cursors[0] })).items.map((i) => i["sk"])).toEqual(["B", "C"]);
    }
    // Another table has its own key: the same position is not accepted there.
    const other = await freshTable();
    await expect(other.query({ partition: "P", cursor: cursors[0] })).rejects.toBeInstanceOf(ValidationError);
  });
});
