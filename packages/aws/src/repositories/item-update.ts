import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { ConditionFailed, type DynamoTable, type Item, type Key } from "../dynamodb/table.js";

/**
 * An UpdateItem on the table (atomic counters, conditional single-attribute writes), returning
 * the updated attributes; a failed condition raises ConditionFailed like DynamoTable.put, with
 * the item as stored (when there is one).
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
        ReturnValuesOnConditionCheckFailure: update.condition ? "ALL_OLD" : undefined,
      }),
    );
    return result.Attributes;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      throw new ConditionFailed(error.Item ? unmarshall(error.Item) : undefined, { cause: error });
    }
    throw error;
  }
}
