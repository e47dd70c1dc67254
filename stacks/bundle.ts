/**
 * How every Lambda function is bundled (esbuild): the API, the queue worker, the scheduled sweep.
 * Shared by `npm run bench:lambda`, the stack test and the deploy (sst.config.ts), so that what is
 * measured is what is deployed. Each function is its own build into its own directory, so its
 * bundle holds only what its entry reaches.
 *
 * - ESM with code splitting: an entry file is a few hundred bytes; the app and the SDK clients
 *   live in chunks loaded on the first invocation (e.g. packages/api/src/lambda.ts), so the cold
 *   import stays small.
 * - `module` before `main`: CommonJS builds defeat tree shaking (zod-to-openapi's would pull in
 *   all of zod).
 * - zod's error-message locales: only English is bundled (the API never switches locale); the
 *   other ~45 add about 250 KB.
 * - UTF-8 output: non-ASCII text (the IDNA mapping tables) stays as characters, not `\u` escapes.
 * - `bowser` (a browser user-agent parser) stays out: the AWS SDK imports it only on its browser
 *   code path, which never runs on Node.
 */
import { rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, extname, join } from "node:path";
import type { BuildOptions, Plugin } from "esbuild";

const englishOnlyZodLocales: Plugin = {
  name: "english-only-zod-locales",
  setup(build) {
    const zodRoot = dirname(createRequire(import.meta.url).resolve("zod/package.json"));
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[/\\]zod[/\\]v4[/\\](classic|core)[/\\]/.test(args.importer)
        ? { path: "zod-locales-en", namespace: "zod-locales" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "zod-locales" }, () => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: join(zodRoot, "v4", "locales"),
      loader: "js",
    }));
  },
};

/** esbuild's options for the Lambda entry `entry`, written to `outdir` (`<entry>.mjs` and its chunks). */
export function functionBundleOptions(entry: string, outdir: string): BuildOptions {
  return {
    entryPoints: [entry],
    outdir,
    bundle: true,
    splitting: true,
    minify: true,
    platform: "node",
    format: "esm",
    target: "node22",
    mainFields: ["module", "main"],
    charset: "utf8",
    external: ["bowser"],
    plugins: [englishOnlyZodLocales],
    // CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
    outExtension: { ".js": ".mjs" },
    logLevel: "error",
  };
}

/** What to deploy for one function: the built directory, and the handler within it. */
export interface FunctionBundle {
  directory: string;
  /** `<entry file name>.handler`, e.g. `lambda.handler`. */
  handler: string;
}

/**
 * Builds the Lambda entry `entry` (exporting `handler`) into `outdir`. `sst deploy` uploads this
 * build as it is — SST's own bundler runs esbuild from Go and cannot take plugins (sst#4514,
 * #6410), so handing it these options would deploy something other than what
 * `npm run bench:lambda` measures.
 */
export async function buildFunctionBundle(entry: string, outdir: string): Promise<FunctionBundle> {
  const { build } = await import("esbuild");
  await rm(outdir, { recursive: true, force: true });
  await build(functionBundleOptions(entry, outdir));
  return { directory: outdir, handler: `${basename(entry, extname(entry))}.handler` };
}
