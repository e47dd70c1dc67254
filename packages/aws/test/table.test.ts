import { describe, expect, it, beforeAll } from "vitest";
import { TransactionConflict, ConditionFailed, type DynamoTable } from "@charon/aws";
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

  it("refuses, as the client's mistake, a cursor outside the query's partition or sort-key range", async () => {
    await table.put({ pk: "RANGE", sk: "ITEM#001" });
    await table.put({ pk: "RANGE", sk: "OTHER#001" });
    const cursor = (key: Record<string, string>) => Buffer.from(JSON.stringify(key)).toString("base64url");
    const forged = [
      cursor({ pk: "ELSEWHERE", sk: "ITEM#001" }),
      cursor({ pk: "RANGE", sk: "OTHER#001" }),
      cursor({ pk: "RANGE", sk: "ITEM#001", extra: "x" }),
      cursor({ pk: "RANGE", sk: "" }),
    ];
    for (const bad of forged) {
      const error = await table.query({ partition: "RANGE", prefix: "ITEM#", cursor: bad }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
    }
    const between = { partition: "RANGE", between: ["ITEM#000", "ITEM#500"] as [string, string] };
    expect(await table.query({ ...between, cursor: cursor({ pk: "RANGE", sk: "ITEM#100" }) })).toMatchObject({ items: [] });
    await expect(table.query({ ...between, cursor: cursor({ pk: "RANGE", sk: "OTHER#001" }) })).rejects.toBeInstanceOf(ValidationError);
  });
});
