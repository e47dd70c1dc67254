import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { tableSchema } from "@charon/aws/schema";
import { buildLambdaBundle } from "@charon/api/lambda-bundle";
import { api } from "./api.js";
import type { DynamoArgs, FunctionArgs, Platform } from "./platform.js";
import { storage } from "./storage.js";

/** Stands in for SST's `sst.aws`: records what the stacks declare instead of deploying it. */
function recordingPlatform(stage: string) {
  const tables: Array<{ name: string; args: DynamoArgs; transformed: Record<string, unknown> }> = [];
  const routes: Array<{ api: string; route: string; handler: FunctionArgs }> = [];
  const platform: Platform = {
    app: { name: "charon", stage },
    aws: {
      Dynamo: class {
        name: string;
        arn: string;
        constructor(name: string, args: DynamoArgs) {
          const transformed: Record<string, unknown> = {};
          args.transform?.table?.(transformed);
          tables.push({ name, args, transformed });
          this.name = `${name}-table-name`;
          this.arn = `arn:aws:dynamodb:us-east-1:123456789012:table/${name}`;
        }
      },
      ApiGatewayV2: class {
        url: string;
        constructor(private readonly name: string) {
          this.url = `https://${name}.example`;
        }
        route(route: string, handler: FunctionArgs) {
          routes.push({ api: this.name, route, handler });
        }
      },
    },
  };
  return { platform, tables, routes };
}

describe("stacks", () => {
  it("declares the table the local runtime creates, with every index and point-in-time recovery", () => {
    const { platform, tables } = recordingPlatform("staging");
    storage(platform);
    expect(tables).toHaveLength(1);
    const [table] = tables;
    expect(table?.args.primaryIndex).toEqual({ hashKey: "pk", rangeKey: "sk" });
    expect(Object.keys(table?.args.globalIndexes ?? {})).toEqual(tableSchema.globalIndexes.map((i) => i.name));
    for (const index of tableSchema.globalIndexes) {
      expect(table?.args.fields[index.partitionKey]).toBe("string");
      expect(table?.args.fields[index.sortKey]).toBe("string");
    }
    expect(table?.args.ttl).toBe(tableSchema.ttlAttribute);
    expect(table?.transformed["pointInTimeRecovery"]).toEqual({ enabled: true });
  });

  it("routes every API request to one Lambda on Node 22, uploading the benchmark's own build", async () => {
    const { platform, routes } = recordingPlatform("prod");
    const directory = await mkdtemp(join(tmpdir(), "charon-bundle-"));
    const bundle = await buildLambdaBundle("packages/api/src/lambda.ts", directory);
    api(platform, storage(platform), bundle);
    expect(routes).toHaveLength(1);
    const [route] = routes;
    expect(route?.route).toBe("$default");
    expect(route?.handler.runtime).toBe("nodejs22.x");
    expect(route?.handler.environment?.["CHARON_TABLE_NAME"]).toBe("Table-table-name");
    // What Lambda will load: <bundle>/lambda.mjs, exporting handler.
    expect(route?.handler.bundle).toBe(directory);
    expect(route?.handler.handler).toBe("lambda.handler");
    const entry = (await import(pathToFileURL(join(directory, "lambda.mjs")).href)) as { handler?: unknown };
    expect(typeof entry.handler).toBe("function");
  });

  it("scopes the Lambda's permissions to its own table and its stage's secrets", () => {
    const { platform, routes } = recordingPlatform("prod");
    const data = storage(platform);
    api(platform, data, { directory: "bundle", handler: "lambda.handler" });
    const handler = routes[0]?.handler;
    expect(handler?.link).toEqual([data.table]);
    const resources = handler?.permissions?.flatMap((p) => p.resources) ?? [];
    expect(resources).toEqual(["arn:aws:secretsmanager:*:*:secret:charon/prod/*"]);
    for (const permission of handler?.permissions ?? []) {
      for (const action of permission.actions) expect(action).toMatch(/^secretsmanager:(Create|Get|Delete)/);
    }
  });
});
