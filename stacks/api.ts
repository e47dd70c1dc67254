import { lambdaEsbuildOverrides } from "@charon/api/lambda-bundle";
import type { Platform } from "./platform.js";
import type { Storage } from "./storage.js";

/** HTTP API → one Lambda running the Hono app; IAM limited to the table and the secrets prefix. */
export function api(platform: Platform, { table, secretsPrefix }: Storage) {
  const http = new platform.aws.ApiGatewayV2("Api");
  http.route("$default", {
    handler: "packages/api/src/lambda.handler",
    runtime: "nodejs22.x",
    architecture: "arm64",
    memory: "256 MB",
    timeout: "29 seconds",
    // Bundled as `npm run bench:lambda` measures it: ESM, split so the cold import is small.
    nodejs: { format: "esm", splitting: true, minify: true, esbuild: lambdaEsbuildOverrides() },
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
