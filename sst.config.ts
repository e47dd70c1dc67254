/// <reference path="./.sst/platform/config.d.ts" />
// Deploy: `npx sst deploy --stage <stage>` (README, "Deploy with SST"). The stacks are plain
// typed modules taking SST's namespace, so they are tested without `sst install`.
export default $config({
  app(input) {
    return {
      name: "charon",
      home: "aws",
      removal: input?.stage === "production" ? "retain" : "remove",
      protect: input?.stage === "production",
    };
  },
  async run() {
    const { storage } = await import("./stacks/storage");
    const { api } = await import("./stacks/api");
    const { buildLambdaBundle } = await import("@charon/api/lambda-bundle");
    const platform = { app: $app, aws: sst.aws };
    const data = storage(platform);
    const { http } = api(platform, data, await buildLambdaBundle("packages/api/src/lambda.ts", ".sst/charon/api"));
    return { url: http.url, table: data.table.name };
  },
});
