import type { Platform } from "./platform.js";
import type { Storage } from "./storage.js";

/**
 * HTTP API → one Lambda running the Hono app; IAM limited to the table and the secrets prefix.
 * `bundle` is the build of `buildLambdaBundle` (packages/api/src/lambda-bundle.ts), uploaded as
 * it is.
 */
export function api(platform: Platform, { table, secretsPrefix }: Storage, bundle: { directory: string; handler: string }) {
  const http = new platform.aws.ApiGatewayV2("Api");
  http.route("$default", {
    bundle: bundle.directory,
    handler: bundle.handler,
    runtime: "nodejs22.x",
    architecture: "arm64",
    memory: "256 MB",
    timeout: "29 seconds",
    // Linking grants read/write on this table and its indexes only.
    link: [table],
    environment: {
      CHARON_TABLE_NAME: table.name,
      CHARON_SECRETS_PREFIX: secretsPrefix,
    },
    permissions: [
      {
        actions: [
          "secretsmanager:CreateSecret",
          "secretsmanager:GetSecretValue",
          "secretsmanager:DeleteSecret",
        ],
        resources: [`arn:aws:secretsmanager:*:*:secret:${secretsPrefix}*`],
      },
    ],
  });
  return { http };
}
