import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { ConditionFailed, type DynamoTable, type Item, type Key } from "../dynamodb/table.js";

/**
 * An UpdateItem on the table (atomic counters, conditional single-attribute writes), returning
 * the updated attributes; a failed condition raises ConditionFailed like DynamoTable.put.
 */
export async function updateItem(
  table: DynamoTable,
  key: Key,
  update: { expression: string; condition?: string; names?: Record<string, string>; values?: Record<string, unknown> },
): Promise<Item | undefined> {
  try {
    const result = await table.client.send(
      new UpdateCommand({
        TableName: table.name,
        Key: key,
        UpdateExpression: update.expression,
        ConditionExpression: update.condition,
        ExpressionAttributeNames: update.names,
        ExpressionAttributeValues: update.values,
        ReturnValues: "ALL_NEW",
      }),
    );
    return result.Attributes;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw new ConditionFailed(undefined, { cause: error });
    throw error;
  }
}
