/**
 * How the Lambda entry is bundled (esbuild), shared by `npm run bench:lambda` and the deploy
 * stack so that what is measured is what is deployed.
 *
 * - ESM with code splitting: `lambda.js` is a few hundred bytes; the app and the SDK clients
 *   live in chunks loaded on the first invocation (lambda.ts), so the cold import stays small.
 * - `module` before `main`: CommonJS builds defeat tree shaking (zod-to-openapi's would pull in
 *   all of zod).
 * - zod's error-message locales: only English is bundled (the API never switches locale); the
 *   other ~45 add about 250 KB.
 * - UTF-8 output: non-ASCII text (the IDNA mapping tables) stays as characters, not `\u` escapes.
 * - `bowser` (a browser user-agent parser) stays out: the AWS SDK imports it only on its browser
 *   code path, which never runs on Node.
 */
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
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

/**
 * What SST's own bundler needs on top of its `format: "esm"`, `splitting`, `minify` switches
 * (stacks/api.ts), so the deployed function is built as the benchmark builds it.
 */
export function lambdaEsbuildOverrides() {
  return {
    target: "node22",
    mainFields: ["module", "main"],
    charset: "utf8",
    external: ["bowser"],
    plugins: [englishOnlyZodLocales],
    // CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  } satisfies BuildOptions;
}

export function lambdaBundleOptions(entry: string, outdir: string): BuildOptions {
  return {
    ...lambdaEsbuildOverrides(),
    entryPoints: [entry],
    outdir,
    bundle: true,
    splitting: true,
    minify: true,
    platform: "node",
    format: "esm",
    outExtension: { ".js": ".mjs" },
    logLevel: "error",
  };
}
