import type { FunctionBundle } from "./bundle.js";
import { keyUse, queueSend, secretsAccess, tableAccess } from "./access.js";
import type { Platform } from "./platform.js";
import type { Storage } from "./storage.js";

/**
 * HTTP API → one Lambda running the Hono app (packages/api/src/lambda.ts), allowed its table, its
 * stage's secrets, sending to the work queue (a certificate request is worked on by the worker)
 * and opening sealed private keys (the certificate download). `bundle` is the build of
 * `buildFunctionBundle` (stacks/bundle.ts), uploaded as it is.
 */
export function api(
  platform: Platform,
  { table, secretsPrefix, key }: Storage,
  queue: { url: unknown; arn: unknown },
  bundle: FunctionBundle,
  /** `caEnvironment()`: which CA orders are opened with. */
  ca: Record<string, string> = {},
) {
  const http = new platform.aws.ApiGatewayV2("Api");
  http.route("$default", {
    bundle: bundle.directory,
    handler: bundle.handler,
    runtime: "nodejs22.x",
    architecture: "arm64",
    memory: "256 MB",
    // API Gateway cuts a request at 30 s.
    timeout: "29 seconds",
    environment: {
      CHARON_TABLE_NAME: table.name,
      CHARON_SECRETS_PREFIX: secretsPrefix,
      CHARON_WORK_QUEUE_URL: queue.url,
      CHARON_KMS_KEY_ID: key.arn,
      ...ca,
    },
    permissions: [
      tableAccess(platform, table, "write"),
      secretsAccess(secretsPrefix, ["CreateSecret", "GetSecretValue", "DeleteSecret"]),
      queueSend(queue),
      keyUse(key, ["Decrypt"]),
    ],
  });
  return { http };
}
