/**
 * The slice of SST's global namespace the stacks use. `sst.config.ts` passes the real `sst.aws`,
 * Pulumi's `aws.kms`, `$interpolate` and `$app`; the stack test passes a recorder. Keeping the
 * stacks off SST's globals lets them be type-checked and tested without `sst install`, which
 * needs the network. `sst-globals.d.ts` declares SST's globals with these types, so that
 * `sst.config.ts` is type-checked too (`npm run typecheck`).
 */

/** One IAM statement: SST adds it to the function's role. Resources may be Pulumi outputs. */
export interface Permission {
  actions: string[];
  resources: unknown[];
}

/** `sst.aws.Function`'s arguments (https://sst.dev/docs/component/aws/function), the ones used. */
export interface FunctionArgs {
  /** A directory built beforehand: SST uploads it instead of bundling `handler` itself. */
  bundle?: string;
  handler: string;
  runtime: "nodejs22.x" | "nodejs24.x";
  architecture?: "arm64" | "x86_64";
  memory?: `${number} MB`;
  timeout?: `${number} seconds` | `${number} minutes`;
  link?: unknown[];
  environment?: Record<string, unknown>;
  permissions?: Permission[];
}

export interface DynamoArgs {
  fields: Record<string, "string" | "number" | "binary">;
  primaryIndex: { hashKey: string; rangeKey?: string };
  globalIndexes?: Record<string, { hashKey: string; rangeKey?: string }>;
  ttl?: string;
  transform?: { table?: (args: Record<string, unknown>) => void };
}

/** `sst.aws.Queue`'s arguments (https://sst.dev/docs/component/aws/queue), the ones used. */
export interface QueueArgs {
  visibilityTimeout?: `${number} seconds`;
  /** The dead-letter queue's ARN and how many receives a message gets before it moves there. */
  dlq?: { queue: unknown; retry: number };
}

/** `Queue.subscribe`'s arguments (https://sst.dev/docs/component/aws/queue-lambda-subscriber). */
export interface QueueSubscriberArgs {
  batch?: { size?: number; window?: `${number} seconds`; partialResponses?: boolean };
  /** Pulumi's `aws.lambda.EventSourceMapping` arguments merged in: `scalingConfig` bounds the worker's concurrency. */
  transform?: { eventSourceMapping?: { scalingConfig?: { maximumConcurrency: number } } };
}

/** `sst.aws.CronV2`'s arguments (https://sst.dev/docs/component/aws/cron-v2), the ones used. */
export interface CronArgs {
  function: FunctionArgs;
  /** An EventBridge Scheduler expression: `rate(1 hour)`, `cron(...)`. */
  schedule: string;
}

/** Pulumi's `aws.kms.Key` arguments (https://www.pulumi.com/registry/packages/aws/api-docs/kms/key/), the ones used. */
export interface KmsKeyArgs {
  description: string;
  enableKeyRotation: boolean;
  deletionWindowInDays?: number;
}

/** `sst.Secret` (https://sst.dev/docs/component/secret): a value set with `sst secret set`, linked to functions. */
export type SecretConstructor = new (name: string) => { name: unknown; value: unknown };

/** A CloudFront Function snippet SST runs inside its own function for a component (`edge.viewerResponse`). */
export interface EdgeInjection {
  injection: string;
}

/**
 * `sst.aws.StaticSite`'s arguments (https://sst.dev/docs/component/aws/static-site), the ones
 * used: files built by `build.command` in `path`, `build.output` uploaded to S3, served by
 * the `router`'s CloudFront distribution. Without `errorPage`, a path that names no file is
 * answered with the index page (a single-page app's client routes).
 */
export interface StaticSiteArgs {
  path: string;
  build: { command: string; output: string };
  router?: { instance: unknown; path?: string };
  assets?: { fileOptions: Array<{ files: string | string[]; cacheControl: string }> };
  edge?: { viewerResponse?: EdgeInjection };
}

/** `sst.aws.Router` (https://sst.dev/docs/component/aws/router): one CloudFront distribution, routes by path. */
export interface RouterInstance {
  url: unknown;
  /** Requests whose path is `pattern` or below it go to `url`, path unchanged. */
  route(pattern: string, url: unknown): unknown;
}

export interface Platform {
  app: { name: string; stage: string };
  Secret: SecretConstructor;
  /** `$interpolate`: a string built from Pulumi outputs (a plain template in the test). */
  interpolate(strings: TemplateStringsArray, ...values: unknown[]): unknown;
  aws: {
    Dynamo: new (name: string, args: DynamoArgs) => { name: unknown; arn: unknown };
    ApiGatewayV2: new (
      name: string,
      args?: Record<string, unknown>,
    ) => { url: unknown; route(route: string, handler: FunctionArgs): unknown };
    Queue: new (
      name: string,
      args?: QueueArgs,
    ) => { url: unknown; arn: unknown; subscribe(subscriber: FunctionArgs, args?: QueueSubscriberArgs): unknown };
    CronV2: new (name: string, args: CronArgs) => unknown;
    Router: new (name: string, args?: Record<string, unknown>) => RouterInstance;
    StaticSite: new (name: string, args: StaticSiteArgs) => { url: unknown };
  };
  kms: {
    Key: new (name: string, args: KmsKeyArgs) => { arn: unknown; keyId: unknown };
  };
}
