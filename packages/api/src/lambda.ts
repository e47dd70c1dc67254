/**
 * The AWS Lambda entry: API Gateway HTTP API (payload v2) events through `hono/aws-lambda`.
 * Clients are created once per execution environment and reused across invocations.
 */
import { handle } from "hono/aws-lambda";
import { Logger } from "@aws-lambda-powertools/logger";
import { createDynamoTable } from "@charon/aws";
import { createApp } from "./app.js";
import { createServices } from "./compose.js";

const tableName = process.env.CHARON_TABLE_NAME;
if (!tableName) throw new Error("CHARON_TABLE_NAME is not set; the stack must pass the table's name");

const logger = new Logger({ serviceName: "charon" });
const app = createApp({ services: createServices({ table: createDynamoTable(tableName) }), logger });

export const handler = handle(app);
