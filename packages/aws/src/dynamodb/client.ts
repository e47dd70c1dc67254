import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoTable } from "./table.js";

/**
 * The document client the repositories share. The endpoint comes from the SDK's standard
 * variables (AWS_ENDPOINT_URL_DYNAMODB), so the same code talks to DynamoDB Local or AWS.
 */
export function createDynamoTable(tableName: string, config: DynamoDBClientConfig = {}): DynamoTable {
  const client = new DynamoDBClient(config);
  const documents = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return new DynamoTable(documents, tableName);
}
