import { tableSchema } from "@charon/aws/schema";
import type { Platform } from "./platform.js";

/** The one DynamoDB table (shape shared with the local runtime) and where secrets live. */
export function storage(platform: Platform) {
  const keyAttributes = [
    tableSchema.partitionKey,
    tableSchema.sortKey,
    ...tableSchema.globalIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ];
  const table = new platform.aws.Dynamo("Table", {
    fields: Object.fromEntries(keyAttributes.map((name) => [name, "string" as const])),
    primaryIndex: { hashKey: tableSchema.partitionKey, rangeKey: tableSchema.sortKey },
    globalIndexes: Object.fromEntries(
      tableSchema.globalIndexes.map((index) => [
        index.name,
        { hashKey: index.partitionKey, rangeKey: index.sortKey },
      ]),
    ),
    ttl: tableSchema.ttlAttribute,
    transform: {
      table: (args) => {
        args["pointInTimeRecovery"] = { enabled: true };
      },
    },
  });
  // Every secret of a stage sits under one prefix, so IAM can grant exactly that subtree.
  const secretsPrefix = `charon/${platform.app.stage}/`;
  return { table, secretsPrefix };
}

export type Storage = ReturnType<typeof storage>;
