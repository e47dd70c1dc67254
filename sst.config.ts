// Deploy: `npx sst deploy --stage <stage>` (README, "Deploy with SST"). The stacks are plain
// typed modules taking SST's namespace, so they are tested without `sst install`; this file is
// type-checked against stacks/sst-globals.d.ts (`npm run typecheck`).
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
    const { work } = await import("./stacks/work");
    const { api } = await import("./stacks/api");
    const { webConsole } = await import("./stacks/console");
    const { buildFunctionBundle } = await import("./stacks/bundle");
    const { acmeEab, caEnvironment } = await import("./stacks/ca");
    const platform = { app: $app, aws: sst.aws, kms: aws.kms, interpolate: $interpolate, Secret: sst.Secret };
    // Each function is its own build, holding only what its entry reaches.
    const [apiBundle, worker, sweep] = await Promise.all([
      buildFunctionBundle("packages/api/src/lambda.ts", ".sst/charon/api"),
      buildFunctionBundle("packages/worker/src/queue.ts", ".sst/charon/worker"),
      buildFunctionBundle("packages/worker/src/sweep.ts", ".sst/charon/sweep"),
    ]);
    const data = storage(platform);
    // CHARON_ACME_DIRECTORY_URL / CHARON_ACME_EMAIL of the deploying shell (stacks/ca.ts).
    const ca = caEnvironment(process.env);
    // CHARON_ACME_EAB_KID of the deploying shell; the HMAC key is the SST secret AcmeEabHmacKey.
    const eab = acmeEab(platform.Secret, process.env);
    const { queue, deadLetters } = work(platform, data, { worker, sweep }, ca, eab);
    const { http } = api(platform, data, queue, apiBundle, ca);
    // The console at its URL's root, the API at /api of the same URL (one origin: stacks/console.ts).
    const { router } = webConsole(platform, http);
    return { console: router.url, url: http.url, table: data.table.name, queue: queue.url, deadLetters: deadLetters.url };
  },
});
