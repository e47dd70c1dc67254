import { randomUUID } from "node:crypto";
import { createDynamoTable, ensureTable, type DynamoTable } from "@charon/aws";

/** A new, empty table in the run's DynamoDB Local, so a test file shares state with no other. */
export async function freshTable(): Promise<DynamoTable> {
  const table = createDynamoTable(`test-${randomUUID()}`);
  await ensureTable(table.client, table.name);
  return table;
}
