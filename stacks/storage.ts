import { tableSchema } from "@charon/aws/schema";
import type { Platform } from "./platform.js";

/**
 * The one DynamoDB table (shape shared with the local runtime), where secrets live, and the KMS
 * key that seals certificates' private keys (envelope encryption: the sealed keys sit beside
 * their certificates in the table, one KMS key for the stage).
 */
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
  const key = new platform.kms.Key("PrivateKeySealing", {
    description: `Charon ${platform.app.stage}: seals certificates' private keys`,
    enableKeyRotation: true,
    // The longest wait: a key scheduled for deletion by mistake can still be recovered.
    deletionWindowInDays: 30,
  });
  return { table, secretsPrefix, key };
}

export type Storage = ReturnType<typeof storage>;
