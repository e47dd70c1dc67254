/**
 * The single table's shape, with no SDK import so that `stacks/storage.ts` and the local
 * runtime create exactly the same table. The access patterns are in packages/aws/README.md.
 */
export const tableSchema = {
  partitionKey: "pk",
  sortKey: "sk",
  /** Overloaded indexes: each item type documents what it puts in them. */
  globalIndexes: [
    { name: "gsi1", partitionKey: "gsi1pk", sortKey: "gsi1sk" },
    { name: "gsi2", partitionKey: "gsi2pk", sortKey: "gsi2sk" },
  ],
  /** Epoch seconds after which DynamoDB may delete the item (leases, rate-limit windows). */
  ttlAttribute: "expires_at_epoch",
} as const;

export type GlobalIndexName = (typeof tableSchema.globalIndexes)[number]["name"];
