/**
 * `npm run bench:lambda`: what the Lambda functions cost at cold start, compared with a bare Hono
 * hello-world behind the same adapter, and the API's peak memory under load.
 *
 * 1. The bundles the deploy uploads (stacks/bundle.ts) of the API (packages/api/src/lambda.ts),
 *    the worker (packages/worker/src/queue.ts) and the hello-world (test/bench/hello-lambda.ts);
 *    their sizes.
 * 2. The median time to import each bundle in a fresh Node process (20 runs each, the bundles
 *    taking turns so that the machine's load weighs on each alike).
 * 3. Cold start as Lambda bills it: the median time from the start of the import to the first
 *    response, in a fresh Node process (20 runs each) against DynamoDB Local — the API answering
 *    `GET /api/health`, the worker a batch of one `certificate.advance` message (for a certificate with
 *    no open order: the lease claim, which reads the order consistently and finds none to take),
 *    the hello-world `GET /`;
 *    beside them the API's first authenticated request (`GET /api/v1/settings`, DynamoDB reads).
 * 4. The API handler's peak RSS after 10 000 mixed requests through the Lambda entry against
 *    DynamoDB Local (a child process, so the figure is the handler's alone, with the V8 heap
 *    flags Lambda's runtime sets for a 128 MB function).
 * 5. Last, the ratios to the hello-world of import + first response.
 *    Targets: API ≤ 2.5x, worker ≤ 2x, API bundle ≤ 1.2 MB, RSS < 128 MiB.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { TokenService, systemClock } from "@charon/core";
import { DynamoApiTokenRepository, createDynamoTable, ensureTable } from "@charon/aws";
import { startDynamoDbLocal } from "@charon/local";
import { functionBundleOptions } from "../../stacks/bundle.js";

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const IMPORT_RUNS = 20;
const LOAD_REQUESTS = 10_000;
/**
 * The function size the RSS target is for. Lambda's Node.js runtime sizes V8's heap from it
 * (semi-space 5 %, old space 90 % of the memory size), so the load runs with the same flags.
 */
const LAMBDA_MEMORY_MB = 128;
const lambdaHeapFlags = [
  `--max-semi-space-size=${Math.floor((LAMBDA_MEMORY_MB * 5) / 100)}`,
  `--max-old-space-size=${Math.floor((LAMBDA_MEMORY_MB * 90) / 100)}`,
];

/** Bundles `entry` as the deploy does; returns the entry file and the size of all output files. */
async function bundle(entry: string, outdir: string): Promise<{ file: string; bytes: number }> {
  const result = await build({ ...functionBundleOptions(join(root, entry), outdir), metafile: true });
  const outputs = Object.entries(result.metafile!.outputs);
  const bytes = outputs.reduce((sum, [, output]) => sum + output.bytes, 0);
  return { file: join(outdir, basename(entry).replace(/\.ts$/, ".mjs")), bytes };
}

/** Milliseconds to import `file` in a fresh Node process. */
async function importTime(file: string): Promise<number> {
  const script =
    "const t=performance.now();await import(process.env.BUNDLE_URL);process.stdout.write(String(performance.now()-t));";
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...process.env, BUNDLE_URL: pathToFileURL(file).href },
  });
  return Number(stdout);
}

/** An API Gateway HTTP API (v2) event for `GET path`, with a bearer token if given. */
const httpEvent = (path: string, token?: string) => ({
  version: "2.0",
  routeKey: "$default",
  rawPath: path,
  rawQueryString: "",
  headers: { host: "x", ...(token ? { authorization: `Bearer ${token}` } : {}) },
  requestContext: {
    http: { method: "GET", path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "b" },
    requestId: "r",
    routeKey: "$default",
    stage: "$default",
    timeEpoch: 0,
  },
  isBase64Encoded: false,
});

/** An SQS event of one work message, as the event source mapping delivers it. */
const sqsEvent = {
  Records: [
    {
      messageId: "bench-1",
      receiptHandle: "r",
      body: JSON.stringify({ kind: "certificate.advance", certificateId: 987654321 }),
      attributes: { ApproximateReceiveCount: "1" },
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:bench",
      awsRegion: "us-east-1",
    },
  ],
};

/**
 * Milliseconds from the start of the import to the first response to `event`: what lazy
 * initialisation moves out of the import, and what a cold start costs. `ok` checks the answer.
 */
async function firstResponseTime(file: string, event: unknown, env: NodeJS.ProcessEnv): Promise<number> {
  const script = [
    "const t=performance.now();",
    "const{handler}=await import(process.env.BUNDLE_URL);",
    "const r=await handler(JSON.parse(process.env.EVENT),{});",
    "if(r.statusCode!==undefined?r.statusCode!==200:r.batchItemFailures.length!==0)throw new Error(JSON.stringify(r));",
    "process.stdout.write(String(performance.now()-t));",
  ].join("");
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...process.env, ...env, BUNDLE_URL: pathToFileURL(file).href, EVENT: JSON.stringify(event) },
  });
  return Number(stdout);
}

/**
 * The median of `IMPORT_RUNS` runs of each measure, taken in turns (one of each, then again), so
 * that a change in the machine's load during the bench weighs on every measure alike and the
 * ratios to the hello-world stay fair.
 */
async function medians<K extends string>(measures: Record<K, () => Promise<number>>): Promise<Record<K, number>> {
  const names = Object.keys(measures) as K[];
  const times = new Map<K, number[]>(names.map((name) => [name, []]));
  for (let i = 0; i < IMPORT_RUNS; i++) {
    for (const name of names) times.get(name)!.push(await measures[name]());
  }
  return Object.fromEntries(
    names.map((name) => {
      const sorted = times.get(name)!.sort((a, b) => a - b);
      return [name, (sorted[IMPORT_RUNS / 2 - 1]! + sorted[IMPORT_RUNS / 2]!) / 2];
    }),
  ) as Record<K, number>;
}

/** A full-access token in the bench table. */
const BENCH_TOKEN = "chrn_bench_token_for_the_lambda_load";

async function peakRssUnderLoad(file: string, env: NodeJS.ProcessEnv): Promise<{ maxRssKiB: number; statuses: Record<string, number> }> {
  const token = BENCH_TOKEN;
  const { stdout } = await run(process.execPath, [...lambdaHeapFlags, join(root, "test/bench/lambda-load.mjs")], {
    env: { ...process.env, ...env, BUNDLE_URL: pathToFileURL(file).href, TOKEN: token, REQUESTS: String(LOAD_REQUESTS) },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout) as { maxRssKiB: number; statuses: Record<string, number> };
}

const directory = await mkdtemp(join(tmpdir(), "charon-bench-"));
const dynamodb = await startDynamoDbLocal();
try {
  // What the stack gives each function (stacks/), pointed at DynamoDB Local.
  const env = {
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    CHARON_TABLE_NAME: "bench",
    CHARON_SECRETS_PREFIX: "charon-bench/",
    CHARON_WORK_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/bench",
    // With the queue and the key, the API and the worker compose issuance, as deployed.
    CHARON_KMS_KEY_ID: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    POWERTOOLS_LOG_LEVEL: "ERROR",
  };
  Object.assign(process.env, env);
  const table = createDynamoTable("bench");
  await ensureTable(table.client, table.name);
  await new TokenService(new DynamoApiTokenRepository(table), systemClock).ensureBootstrapToken(BENCH_TOKEN);

  const api = await bundle("packages/api/src/lambda.ts", join(directory, "api"));
  const worker = await bundle("packages/worker/src/queue.ts", join(directory, "worker"));
  const hello = await bundle("test/bench/hello-lambda.ts", join(directory, "hello"));
  console.log(`api bundle: ${(api.bytes / 1024).toFixed(1)} KiB (${api.bytes} bytes, all chunks)`);
  console.log(`worker bundle: ${(worker.bytes / 1024).toFixed(1)} KiB (${worker.bytes} bytes, all chunks)`);
  console.log(`hello bundle: ${(hello.bytes / 1024).toFixed(1)} KiB (${hello.bytes} bytes)`);
  const { apiImport, workerImport, helloImport } = await medians({
    apiImport: () => importTime(api.file),
    workerImport: () => importTime(worker.file),
    helloImport: () => importTime(hello.file),
  });
  console.log(`api import time (median of ${IMPORT_RUNS}): ${apiImport.toFixed(2)} ms`);
  console.log(`worker import time (median of ${IMPORT_RUNS}): ${workerImport.toFixed(2)} ms`);
  console.log(`hello import time (median of ${IMPORT_RUNS}): ${helloImport.toFixed(2)} ms`);
  const { apiFirst, apiFirstAuthenticated, workerFirst, helloFirst } = await medians({
    apiFirst: () => firstResponseTime(api.file, httpEvent("/api/health"), env),
    // Not the target's measure, shown beside it: a first request that authenticates reads DynamoDB.
    apiFirstAuthenticated: () => firstResponseTime(api.file, httpEvent("/api/v1/settings", BENCH_TOKEN), env),
    workerFirst: () => firstResponseTime(worker.file, sqsEvent, env),
    helloFirst: () => firstResponseTime(hello.file, httpEvent("/"), env),
  });
  console.log(`api import + first response (median of ${IMPORT_RUNS}): ${apiFirst.toFixed(2)} ms`);
  console.log(
    `api import + first authenticated response, GET /api/v1/settings (median of ${IMPORT_RUNS}): ${apiFirstAuthenticated.toFixed(2)} ms`,
  );
  console.log(`worker import + first response (median of ${IMPORT_RUNS}): ${workerFirst.toFixed(2)} ms`);
  console.log(`hello import + first response (median of ${IMPORT_RUNS}): ${helloFirst.toFixed(2)} ms`);
  const load = await peakRssUnderLoad(api.file, env);
  console.log(
    `api peak RSS after ${LOAD_REQUESTS} mixed requests (${lambdaHeapFlags.join(" ")}): ${(load.maxRssKiB / 1024).toFixed(1)} MiB`,
  );
  console.log(`  statuses: ${JSON.stringify(load.statuses)}`);
  console.log(`api/hello import time: ${(apiImport / helloImport).toFixed(2)}x`);
  console.log(`api/hello import + first response: ${(apiFirst / helloFirst).toFixed(2)}x (target ≤ 2.5x)`);
  console.log(`worker/hello import + first response: ${(workerFirst / helloFirst).toFixed(2)}x (target ≤ 2x)`);
} finally {
  await dynamodb.stop();
  await rm(directory, { recursive: true, force: true });
}
