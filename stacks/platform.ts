/**
 * The slice of SST's global namespace the stacks use. `sst.config.ts` passes the real `sst.aws`
 * and `$app`; the stack test passes a recorder. Keeping the stacks off SST's globals lets them be
 * type-checked and tested without `sst install`, which needs the network.
 */
export interface FunctionArgs {
  /** A directory built beforehand: SST uploads it instead of bundling `handler` itself. */
  bundle?: string;
  handler: string;
  runtime: "nodejs22.x" | "nodejs24.x";
  architecture?: "arm64" | "x86_64";
  memory?: `${number} MB`;
  timeout?: `${number} seconds`;
  link?: unknown[];
  environment?: Record<string, unknown>;
  permissions?: Array<{ actions: string[]; resources: string[] }>;
}

export interface DynamoArgs {
  fields: Record<string, "string" | "number" | "binary">;
  primaryIndex: { hashKey: string; rangeKey?: string };
  globalIndexes?: Record<string, { hashKey: string; rangeKey?: string }>;
  ttl?: string;
  transform?: { table?: (args: Record<string, unknown>) => void };
}

export interface Platform {
  app: { name: string; stage: string };
  aws: {
    Dynamo: new (name: string, args: DynamoArgs) => { name: unknown; arn: unknown };
    ApiGatewayV2: new (
      name: string,
      args?: Record<string, unknown>,
    ) => { url: unknown; route(route: string, handler: FunctionArgs): unknown };
  };
}
