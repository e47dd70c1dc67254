/**
 * The deployment as SST would build it, recorded instead of deployed (stacks take SST's namespace
 * as a parameter: platform.ts). Each function is checked for what breaks a deployment on its
 * first call: its environment, that its permissions name the same resources as its environment,
 * that its permissions cover the AWS calls its bundle can make, and that the bundle, run with
 * exactly that environment against the emulators, answers.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { tableSchema } from "@charon/aws/schema";
import { DynamoApiTokenRepository, type DynamoTable } from "@charon/aws";
import { TokenService, systemClock } from "@charon/core";
import { ACME_EAB_HMAC_KEY_SECRET } from "@charon/runtime/aws";
import { freshTable } from "../test/harness/dynamodb.js";
import { api } from "./api.js";
import { buildFunctionBundle, functionBundleOptions, type FunctionBundle } from "./bundle.js";
import { ACME_EAB_HMAC_KEY_SECRET as STACK_EAB_SECRET, acmeEab, caEnvironment } from "./ca.js";
import { CONSOLE_SECURITY_HEADERS } from "@charon/api/console-headers";
import { CONSOLE_PACKAGE, webConsole } from "./console.js";
import type { CronArgs, DynamoArgs, FunctionArgs, KmsKeyArgs, Platform, QueueArgs, QueueSubscriberArgs, StaticSiteArgs } from "./platform.js";
import { storage } from "./storage.js";
import { WORKER_MAX_CONCURRENCY, WORKER_TIMEOUT_SECONDS, work } from "./work.js";

const run = promisify(execFile);

/** The entry of each function, as sst.config.ts builds them. */
const entries = {
  api: "packages/api/src/lambda.ts",
  worker: "packages/worker/src/queue.ts",
  sweep: "packages/worker/src/sweep.ts",
} as const;
type FunctionName = keyof typeof entries;

/** `$interpolate` for plain strings. */
const interpolate = (strings: TemplateStringsArray, ...values: unknown[]) =>
  strings.reduce((out, part, i) => out + part + (i < values.length ? String(values[i]) : ""), "");

/** Stands in for SST's `sst.aws`: records what the stacks declare instead of deploying it. */
function recordingPlatform(stage: string, tableName = `Table-${stage}`) {
  const tables: Array<{ name: string; args: DynamoArgs; transformed: Record<string, unknown> }> = [];
  const functions = new Map<string, FunctionArgs>();
  const queues: Array<{ name: string; args: QueueArgs | undefined; url: string; arn: string; subscribers: Array<{ fn: FunctionArgs; args?: QueueSubscriberArgs }> }> = [];
  const crons: Array<{ name: string; args: CronArgs }> = [];
  const keys: Array<{ name: string; args: KmsKeyArgs; arn: string }> = [];
  const secrets: Array<{ name: string }> = [];
  const routers: Array<{ name: string; url: string; routes: Array<[string, unknown]> }> = [];
  const sites: Array<{ name: string; args: StaticSiteArgs }> = [];
  const platform: Platform = {
    app: { name: "charon", stage },
    interpolate,
    Secret: class {
      value = "the value SST keeps";
      constructor(readonly name: string) {
        secrets.push(this);
      }
    },
    aws: {
      Dynamo: class {
        name = tableName;
        arn = `arn:aws:dynamodb:us-east-1:123456789012:table/${tableName}`;
        constructor(name: string, args: DynamoArgs) {
          const transformed: Record<string, unknown> = {};
          args.transform?.table?.(transformed);
          tables.push({ name, args, transformed });
        }
      },
      ApiGatewayV2: class {
        url: string;
        constructor(private readonly name: string) {
          this.url = `https://${name}.example`;
        }
        route(route: string, handler: FunctionArgs) {
          functions.set(`${this.name} ${route}`, handler);
        }
      },
      Queue: class {
        url: string;
        arn: string;
        constructor(name: string, args?: QueueArgs) {
          this.url = `https://sqs.us-east-1.amazonaws.com/123456789012/${name}`;
          this.arn = `arn:aws:sqs:us-east-1:123456789012:${name}`;
          queues.push({ name, args, url: this.url, arn: this.arn, subscribers: [] });
        }
        subscribe(fn: FunctionArgs, args?: QueueSubscriberArgs) {
          queues.find((q) => q.arn === this.arn)?.subscribers.push({ fn, args });
          functions.set(`subscriber of ${this.arn}`, fn);
        }
      },
      CronV2: class {
        constructor(name: string, args: CronArgs) {
          crons.push({ name, args });
          functions.set(`cron ${name}`, args.function);
        }
      },
      Router: class {
        url: string;
        readonly routes: Array<[string, unknown]> = [];
        constructor(readonly name: string) {
          this.url = `https://${name.toLowerCase()}.cloudfront.example`;
          routers.push(this);
        }
        route(pattern: string, url: unknown) {
          this.routes.push([pattern, url]);
        }
      },
      StaticSite: class {
        url = "https://console.cloudfront.example";
        constructor(name: string, args: StaticSiteArgs) {
          sites.push({ name, args });
        }
      },
    },
    kms: {
      Key: class {
        arn: string;
        keyId = "1234abcd-12ab-34cd-56ef-1234567890ab";
        constructor(name: string, args: KmsKeyArgs) {
          this.arn = `arn:aws:kms:us-east-1:123456789012:key/${this.keyId}`;
          keys.push({ name, args, arn: this.arn });
        }
      },
    },
  };
  return { platform, tables, functions, queues, crons, keys, secrets, routers, sites };
}

/** The whole deployment of sst.config.ts, recorded; functions by name. */
function deploy(
  stage: string,
  bundles: Record<FunctionName, FunctionBundle>,
  tableName?: string,
  ca: Record<string, string> = {},
  /** The deploying shell's environment for `acmeEab`. */
  shell: NodeJS.ProcessEnv = {},
) {
  const recorded = recordingPlatform(stage, tableName);
  const data = storage(recorded.platform);
  const eab = acmeEab(recorded.platform.Secret, shell);
  const { queue } = work(recorded.platform, data, { worker: bundles.worker, sweep: bundles.sweep }, ca, eab);
  const { http } = api(recorded.platform, data, queue, bundles.api, ca);
  webConsole(recorded.platform, http);
  const byName: Record<FunctionName, FunctionArgs> = {
    api: recorded.functions.get("Api $default")!,
    worker: recorded.functions.get(`subscriber of ${String(queue.arn)}`)!,
    sweep: recorded.functions.get("cron Sweep")!,
  };
  return { ...recorded, data, byName, http };
}

const placeholderBundles = Object.fromEntries(
  Object.entries(entries).map(([name]) => [name, { directory: `bundle-${name}`, handler: `${name}.handler` }]),
) as Record<FunctionName, FunctionBundle>;

const actionsOn = (fn: FunctionArgs, service: string) =>
  (fn.permissions ?? []).filter((p) => p.actions.every((a) => a.startsWith(`${service}:`)));

describe("stacks", () => {
  it("declares the table the local runtime creates, with every index and point-in-time recovery", () => {
    const { tables } = deploy("staging", placeholderBundles);
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

  it("gives the worker the queue with partial batch responses, a dead-letter queue, and six times its timeout of visibility", () => {
    const { queues, byName } = deploy("prod", placeholderBundles);
    const work = queues.find((q) => q.subscribers.length > 0)!;
    const deadLetters = queues.find((q) => q.arn === (work.args?.dlq?.queue as string))!;
    expect(deadLetters.subscribers).toEqual([]);
    expect(work.args?.dlq?.retry).toBeGreaterThanOrEqual(3);
    expect(work.subscribers).toHaveLength(1);
    expect(work.subscribers[0]?.args?.batch).toMatchObject({ partialResponses: true, window: "0 seconds" });
    expect(byName.worker.timeout).toBe(`${WORKER_TIMEOUT_SECONDS} seconds`);
    expect(work.args?.visibilityTimeout).toBe(`${6 * WORKER_TIMEOUT_SECONDS} seconds`);
  });

  it("bounds how many workers the queue runs at once (the event source's maximum concurrency, 2 to 1000)", () => {
    const { queues } = deploy("prod", placeholderBundles);
    const work = queues.find((q) => q.subscribers.length > 0)!;
    const maximum = work.subscribers[0]?.args?.transform?.eventSourceMapping?.scalingConfig?.maximumConcurrency;
    expect(maximum).toBe(WORKER_MAX_CONCURRENCY);
    expect(maximum).toBeGreaterThanOrEqual(2);
    expect(maximum).toBeLessThanOrEqual(1000);
  });

  it("seals private keys with a stage's own rotating KMS key", () => {
    const { keys } = deploy("prod", placeholderBundles);
    expect(keys).toHaveLength(1);
    expect(keys[0]?.args.enableKeyRotation).toBe(true);
    expect(keys[0]?.args.description).toContain("prod");
  });

  it("gives the functions that order certificates the deploying shell's CA, and no EAB secret", () => {
    const ca = caEnvironment({
      CHARON_ACME_DIRECTORY_URL: "letsencrypt-staging",
      CHARON_ACME_EMAIL: " ops@example.com ",
      CHARON_ACME_EAB_KID: "kid",
      CHARON_ACME_EAB_HMAC_KEY: "secret-hmac",
      CHARON_ACME_NEW_ORDER_LIMIT: "1000",
      CHARON_DNS_PROVIDER_CONCURRENCY: "25",
      HOME: "/root",
    });
    expect(ca).toEqual({
      CHARON_ACME_DIRECTORY_URL: "letsencrypt-staging",
      CHARON_ACME_EMAIL: "ops@example.com",
      CHARON_ACME_NEW_ORDER_LIMIT: "1000",
      CHARON_DNS_PROVIDER_CONCURRENCY: "25",
    });
    const { byName } = deploy("prod", placeholderBundles, undefined, ca);
    // The sweep opens renewal orders and fetches the CA's renewal information.
    for (const name of ["api", "worker", "sweep"] as const) expect(byName[name].environment).toMatchObject(ca);
    expect(caEnvironment({})).toEqual({});
  });

  it("links the EAB HMAC key, an SST secret, to the worker alone, with the key id beside it, and never puts the key in an environment", () => {
    const shell = { CHARON_ACME_EAB_KID: " kid-1 ", CHARON_ACME_EAB_HMAC_KEY: "secret-hmac" };
    const { byName, secrets } = deploy("prod", placeholderBundles, undefined, {}, shell);
    // The name the worker reads it by (packages/runtime/src/linked.ts).
    expect(STACK_EAB_SECRET).toBe(ACME_EAB_HMAC_KEY_SECRET);
    expect(secrets.map((s) => s.name)).toEqual([ACME_EAB_HMAC_KEY_SECRET]);
    expect(byName.worker.link).toEqual(secrets);
    expect(byName.worker.environment).toMatchObject({ CHARON_ACME_EAB_KID: "kid-1" });
    for (const name of ["api", "sweep"] as const) {
      expect(byName[name].link).toBeUndefined();
      expect(Object.keys(byName[name].environment ?? {})).not.toContain("CHARON_ACME_EAB_KID");
    }
    for (const fn of Object.values(byName)) {
      expect(JSON.stringify(fn.environment)).not.toContain("secret-hmac");
      expect(Object.keys(fn.environment ?? {})).not.toContain("CHARON_ACME_EAB_HMAC_KEY");
    }
    // Without a key id (Let's Encrypt), no secret at all: a deploy never asks for one.
    const plain = deploy("prod", placeholderBundles);
    expect(plain.secrets).toEqual([]);
    expect(plain.byName.worker.link).toBeUndefined();
  });

  it("runs the sweep twice a day, twelve hours apart, at a time drawn from the stage's name", () => {
    const scheduleOf = (stage: string) => {
      const { crons } = deploy(stage, placeholderBundles);
      expect(crons.map((c) => c.name)).toEqual(["Sweep"]);
      return String(crons[0]!.args.schedule);
    };
    const times = ["prod", "staging", "dev", "pr-17"].map((stage) => {
      const match = /^cron\((\d+) (\d+),(\d+) \* \* \? \*\)$/.exec(scheduleOf(stage));
      expect(match, scheduleOf(stage)).not.toBeNull();
      const [minute, first, second] = match!.slice(1).map(Number) as [number, number, number];
      expect(minute).toBeLessThan(60);
      expect(first).toBeLessThan(12);
      expect(second).toBe(first + 12);
      return `${first}:${minute}`;
    });
    // Fixed per stage (a redeploy keeps it), spread across stages.
    expect(scheduleOf("prod")).toBe(scheduleOf("prod"));
    expect(new Set(times).size).toBeGreaterThan(1);
  });

  it("serves the console and the API from one CloudFront distribution: /api to the HTTP API, the rest to the console's build", async () => {
    const { routers, sites, http } = deploy("prod", placeholderBundles);
    expect(routers).toHaveLength(1);
    const [router] = routers;
    // The API keeps its paths (/api/…): the router passes them on unchanged.
    expect(router!.routes).toEqual([["/api", http.url]]);
    expect(sites).toHaveLength(1);
    const args = sites[0]!.args;
    expect(args.router?.instance).toBe(router);
    expect(args.router?.path).toBeUndefined(); // at the root, as under npm start
    // Built by the console package's own build script, into dist/ (what npm start serves).
    expect(args.path).toBe(CONSOLE_PACKAGE);
    const pkg = JSON.parse(await readFile(join(CONSOLE_PACKAGE, "package.json"), "utf8")) as { scripts?: Record<string, string> };
    expect(pkg.scripts?.["build"]).toBeDefined();
    expect(args.build).toEqual({ command: "npm run build", output: "dist" });
    // Unknown paths are the single-page app's routes: no error page, so SST answers the index page.
    expect(args).not.toHaveProperty("errorPage");
    // Later entries win (SST): hashed bundles for a year, the rest (index.html) revalidated.
    expect(args.assets?.fileOptions).toEqual([
      { files: "**", cacheControl: "no-cache" },
      { files: "assets/**", cacheControl: "public,max-age=31536000,immutable" },
    ]);
  });

  it("sends the console's security headers from CloudFront, the same as npm start", () => {
    const { sites } = deploy("prod", placeholderBundles);
    const injection = sites[0]!.args.edge?.viewerResponse?.injection ?? "";
    // Run the injected CloudFront Functions code on a response, as the edge does.
    const event = { response: { statusCode: 200, headers: { "content-type": { value: "text/html" } } as Record<string, { value: string }> } };
    new Function("event", injection)(event);
    const expected = Object.fromEntries(Object.entries(CONSOLE_SECURITY_HEADERS).map(([name, value]) => [name.toLowerCase(), { value }]));
    expect(event.response.headers).toEqual({ "content-type": { value: "text/html" }, ...expected });
    expect(event.response.headers["content-security-policy"]?.value).toContain("frame-ancestors 'none'");
  });

  describe("each function's environment names what its permissions allow, and nothing else", () => {
    const { byName, data, queues, keys } = deploy("prod", placeholderBundles);
    const workQueue = queues.find((q) => q.subscribers.length > 0)!;
    it.each(Object.keys(entries) as FunctionName[])("%s", (name) => {
      const fn = byName[name];
      const env = fn.environment ?? {};
      expect(fn.runtime).toBe("nodejs22.x");
      // Linking would grant dynamodb:* on the table: permissions are listed instead.
      expect(fn.link).toBeUndefined();

      // The table: named by CHARON_TABLE_NAME, its items and indexes (and nothing else) allowed.
      expect(env["CHARON_TABLE_NAME"]).toBe(data.table.name);
      const table = actionsOn(fn, "dynamodb");
      expect(table.flatMap((p) => p.resources)).toEqual([data.table.arn, `${String(data.table.arn)}/index/*`]);
      expect(table.flatMap((p) => p.actions)).toEqual(expect.arrayContaining(["dynamodb:GetItem", "dynamodb:Query"]));

      // Secrets: under CHARON_SECRETS_PREFIX only (ListSecrets cannot be scoped; only the sweep has it).
      const prefix = env["CHARON_SECRETS_PREFIX"];
      expect(prefix).toBe(`charon/prod/`);
      for (const permission of actionsOn(fn, "secretsmanager")) {
        const expected = permission.actions.includes("secretsmanager:ListSecrets")
          ? ["*"]
          : [`arn:aws:secretsmanager:*:*:secret:${String(prefix)}*`];
        expect(permission.resources).toEqual(expected);
      }
      expect(actionsOn(fn, "secretsmanager").some((p) => p.actions.includes("secretsmanager:ListSecrets"))).toBe(name === "sweep");

      // The queue and the key: allowed exactly when the environment names them.
      const sqs = actionsOn(fn, "sqs");
      if (env["CHARON_WORK_QUEUE_URL"] === undefined) expect(sqs).toEqual([]);
      else {
        expect(env["CHARON_WORK_QUEUE_URL"]).toBe(workQueue.url);
        expect(sqs.flatMap((p) => p.resources)).toEqual([workQueue.arn]);
      }
      const kms = actionsOn(fn, "kms");
      if (env["CHARON_KMS_KEY_ID"] === undefined) expect(kms).toEqual([]);
      else {
        expect(env["CHARON_KMS_KEY_ID"]).toBe(keys[0]?.arn);
        expect(kms.flatMap((p) => p.resources)).toEqual([keys[0]?.arn]);
      }
      expect(Object.keys(env).sort()).toEqual(expectedEnvironment[name]);
    });
  });

  describe("built and run as deployed", () => {
    let directory: string;
    const bundles = {} as Record<FunctionName, FunctionBundle>;
    let table: DynamoTable;

    beforeAll(async () => {
      directory = await mkdtemp(join(tmpdir(), "charon-bundles-"));
      for (const [name, entry] of Object.entries(entries) as Array<[FunctionName, string]>) {
        bundles[name] = await buildFunctionBundle(entry, join(directory, name));
      }
      table = await freshTable();
    });

    it("uploads each function's own build, whose entry loads without building anything", async () => {
      const { byName } = deploy("prod", bundles);
      for (const name of Object.keys(entries) as FunctionName[]) {
        expect(byName[name].bundle).toBe(bundles[name].directory);
        const [file, exported] = byName[name].handler.split(".");
        const module = (await import(pathToFileURL(join(bundles[name].directory, `${file}.mjs`)).href)) as Record<string, unknown>;
        expect(typeof module[exported!]).toBe("function");
      }
    });

    it.each(Object.keys(entries) as FunctionName[])(
      "%s: its permissions cover every call its bundle can make on the stage's resources",
      async (name) => {
        const { byName } = deploy("prod", bundles);
        const granted = new Set((byName[name].permissions ?? []).flatMap((p) => p.actions));
        const needed = (await sdkCallsInBundle(entries[name])).filter((call) => !(call in notCalled[name]));
        expect(needed.filter((call) => !grantCovers(granted, call))).toEqual([]);
      },
    );

    it("api: answers its first request with exactly the stack's environment", async () => {
      const stage = `s${randomBytes(3).toString("hex")}`;
      const { byName } = deploy(stage, bundles, table.name);
      const token = `chrn_stack-test-${randomBytes(12).toString("hex")}`;
      await new TokenService(new DynamoApiTokenRepository(table), systemClock).ensureBootstrapToken(token);
      const result = await invoke(bundles.api, byName.api, {
        version: "2.0",
        rawPath: "/api/v1/tokens",
        rawQueryString: "",
        headers: { host: "api.example.com", authorization: `Bearer ${token}` },
        requestContext: { http: { method: "GET", path: "/api/v1/tokens", sourceIp: "203.0.113.9" } },
        isBase64Encoded: false,
      });
      expect(result).toMatchObject({ statusCode: 200 });
      expect(JSON.parse((result as { body: string }).body)).toEqual([expect.objectContaining({ name: "bootstrap" })]);
    });

    it("worker: answers a batch with exactly the stack's environment", async () => {
      const { byName } = deploy(`s${randomBytes(3).toString("hex")}`, bundles, table.name);
      const record = (messageId: string, body: string) => ({
        messageId,
        receiptHandle: `handle-${messageId}`,
        body,
        attributes: { ApproximateReceiveCount: "1" },
        messageAttributes: {},
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:Work",
        awsRegion: "us-east-1",
      });
      const batch = { Records: [record("m1", JSON.stringify({ kind: "certificate.advance", certificateId: 7 }))] };
      expect(await invoke(bundles.worker, byName.worker, batch)).toEqual({ batchItemFailures: [] });
    });

    it("sweep: runs with exactly the stack's environment", async () => {
      const { byName } = deploy(`s${randomBytes(3).toString("hex")}`, bundles, table.name);
      const printed: string[] = [];
      expect(await invoke(bundles.sweep, byName.sweep, {}, printed)).toEqual({
        renewals: { checked: 0, due: 0, enqueued: 0, failed: 0 },
        // No subscription asks for certificate_expiring: no certificate is read for it.
        expiring: { certificates: 0, enqueued: 0 },
        secretsExamined: 0,
        secretsDeleted: 0,
        errors: [],
      });
      // The run's counts as CloudWatch metrics (embedded metric format on stdout).
      const metrics = printed.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => "_aws" in line);
      expect(metrics).toMatchObject({ RenewalsChecked: 0, RenewalsDue: 0, RenewalsEnqueued: 0, RenewalsFailed: 0, SweepErrors: 0, service: "charon-sweep" });
    });
  });
});

/** The variables each function is given: those its code requires (packages/runtime/src/config.ts). */
const expectedEnvironment: Record<FunctionName, string[]> = {
  api: ["CHARON_KMS_KEY_ID", "CHARON_SECRETS_PREFIX", "CHARON_TABLE_NAME", "CHARON_WORK_QUEUE_URL"],
  worker: ["CHARON_KMS_KEY_ID", "CHARON_SECRETS_PREFIX", "CHARON_TABLE_NAME", "CHARON_WORK_QUEUE_URL"],
  sweep: ["CHARON_SECRETS_PREFIX", "CHARON_TABLE_NAME", "CHARON_WORK_QUEUE_URL"],
};

/**
 * AWS calls whose code is in a function's bundle (a file of ours that sends the command is
 * bundled) but that the function never makes, each with the reason. Anything else must be
 * granted: a new SDK call without its permission fails here, not on the deployed function.
 */
const notCalled: Record<FunctionName, Record<string, string>> = {
  api: {
    "secretsmanager:ListSecrets": "the secret store's listing is used only by the sweep",
  },
  worker: {
    "secretsmanager:ListSecrets": "the secret store's listing is used only by the sweep",
    "secretsmanager:DeleteSecret": "credentials' secrets are deleted through the API only",
  },
  sweep: {
    "secretsmanager:CreateSecret": "the sweep only deletes secrets (renewal orders are opened without the ACME account)",
    "secretsmanager:GetSecretValue": "the sweep only deletes secrets (renewal orders are opened without the ACME account)",
  },
};

/**
 * SDK packages whose calls use the function's role (Route 53 is called with a user's
 * credentials), and the IAM service prefix of their operations.
 */
const roleServices: Record<string, string> = {
  "client-dynamodb": "dynamodb",
  "client-secrets-manager": "secretsmanager",
  "client-sqs": "sqs",
  "client-kms": "kms",
};
/** The document client's commands, by the DynamoDB operation each sends. */
const documentCommands: Record<string, string> = {
  Get: "GetItem",
  Put: "PutItem",
  Update: "UpdateItem",
  Delete: "DeleteItem",
  Query: "Query",
  Scan: "Scan",
  BatchGet: "BatchGetItem",
  BatchWrite: "BatchWriteItem",
  TransactGet: "TransactGetItems",
  TransactWrite: "TransactWriteItems",
};

/** `Command class name → service:Operation` for every command of the SDK packages above. */
async function commandIndex(): Promise<Map<string, string>> {
  const index = new Map<string, string>();
  for (const [name, operation] of Object.entries(documentCommands)) index.set(`${name}Command`, `dynamodb:${operation}`);
  for (const [sdkPackage, service] of Object.entries(roleServices)) {
    for (const file of await readdir(join("node_modules/@aws-sdk", sdkPackage, "dist-es/commands"))) {
      const match = /^(\w+)Command\.js$/.exec(file);
      if (match) index.set(`${match[1]}Command`, `${service}:${match[1]}`);
    }
  }
  return index;
}

/**
 * `service:Operation` for every SDK command that code of ours in the bundle of `entry`
 * constructs (`new XCommand(`). The SDK's own modules hold every command of a client (and a
 * lazily imported client all of them), so what counts is what our code sends.
 */
async function sdkCallsInBundle(entry: string): Promise<string[]> {
  const outdir = await mkdtemp(join(tmpdir(), "charon-metafile-"));
  const result = await build({ ...functionBundleOptions(entry, outdir), metafile: true });
  const index = await commandIndex();
  const calls = new Set<string>();
  for (const output of Object.values(result.metafile!.outputs)) {
    for (const [file, input] of Object.entries(output.inputs)) {
      if (!file.startsWith("packages/") || input.bytesInOutput === 0) continue;
      for (const [, command] of (await readFile(file, "utf8")).matchAll(/new (\w+Command)\(/g)) {
        const call = index.get(command!);
        if (call) calls.add(call);
      }
    }
  }
  return [...calls].sort();
}

/**
 * Whether `granted` allows `call`. A transaction's parts are authorised as the item actions
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
 */
function grantCovers(granted: Set<string>, call: string): boolean {
  if (call === "dynamodb:TransactWriteItems") {
    return ["PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"].every((a) => granted.has(`dynamodb:${a}`));
  }
  if (call === "dynamodb:TransactGetItems") return granted.has("dynamodb:GetItem");
  return granted.has(call);
}

/**
 * Runs the bundled `handler` once in a fresh Node process whose environment is exactly the
 * function's (plus the emulators' endpoints and credentials, as Lambda would give a role's), and
 * returns what it returned. `printed` gets what the function wrote to stdout before (its
 * embedded-format metrics, which CloudWatch reads from there).
 */
async function invoke(bundle: FunctionBundle, fn: FunctionArgs, event: unknown, printed: string[] = []): Promise<unknown> {
  const [file, exported] = fn.handler.split(".");
  const script = [
    "const m=await import(process.env.BUNDLE_URL);",
    "const r=await m[process.env.EXPORTED](JSON.parse(process.env.EVENT),{awsRequestId:'stack-test'});",
    "process.stdout.write('\\n'+JSON.stringify(r??null));",
  ].join("");
  const emulators = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => key.startsWith("AWS_")),
  );
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
    maxBuffer: 1 << 22,
    env: {
      PATH: process.env.PATH,
      ...emulators,
      ...(fn.environment as Record<string, string>),
      POWERTOOLS_LOG_LEVEL: "SILENT",
      BUNDLE_URL: pathToFileURL(join(bundle.directory, `${file}.mjs`)).href,
      EXPORTED: exported,
      EVENT: JSON.stringify(event),
    },
  }).catch((error: { stderr?: string }) => {
    // The last lines name the failure; the rest is the minified bundle's source.
    throw new Error(`the ${fn.handler} bundle failed: ${(error.stderr ?? "").split("\n").slice(-6).join("\n").slice(-1500)}`);
  });
  const lines = stdout.split("\n");
  printed.push(...lines.slice(0, -1).filter(Boolean));
  return JSON.parse(lines.at(-1)!) as unknown;
}
