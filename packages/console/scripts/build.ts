/**
 * `npm run build --workspace=packages/console`: bundles the console with esbuild (Preact's JSX,
 * minified, names carrying a content hash so a CDN can cache them for ever) into `dist/`, and writes
 * `dist/index.html` naming the bundles. `npm start` runs it first (the root `prestart`), so it must
 * stay fast: no type check (that is `npm run typecheck`'s job). Code only some dialogs need (the
 * zone filter rules of `@charon/zones`, with the public-suffix list) is a separate chunk loaded by
 * `import()` when such a dialog opens, so the first screen does not carry it.
 */
import { rm, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = `${root}dist`;

/**
 * `@charon/zones` names hosts with Node's `domainToASCII` (`node:url`); the browser gets the same
 * WHATWG URL host parser through `src/shims/node-url.ts`.
 */
const nodeUrlShim: Plugin = {
  name: "node-url-shim",
  setup(build) {
    build.onResolve({ filter: /^node:url$/ }, () => ({ path: `${root}src/shims/node-url.ts` }));
  },
};

await rm(dist, { recursive: true, force: true });
const result = await build({
  entryPoints: [`${root}src/main.tsx`],
  outdir: `${dist}/assets`,
  entryNames: "[name]-[hash]",
  chunkNames: "chunk-[hash]",
  bundle: true,
  splitting: true,
  minify: true,
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
  plugins: [nodeUrlShim],
});

const entry = Object.entries(result.metafile.outputs).find(([, output]) => output.entryPoint?.endsWith("src/main.tsx"));
const script = entry && basename(entry[0]);
const style = entry?.[1].cssBundle && basename(entry[1].cssBundle);
if (!script || !style) throw new Error(`esbuild wrote ${Object.keys(result.metafile.outputs).join(", ")}: expected main's .js and .css`);
// Chunks main imports statically (code it shares with a lazy chunk) load with it: index.html names
// them as module preloads, so the browser fetches them at once and the first screen's size counts them.
const preloads: string[] = [];
const visit = (output: string) => {
  for (const imported of result.metafile.outputs[output]?.imports ?? []) {
    if (imported.kind !== "import-statement" || preloads.includes(basename(imported.path))) continue;
    preloads.push(basename(imported.path));
    visit(imported.path);
  }
};
visit(entry[0]);

await writeFile(
  `${dist}/index.html`,
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>Charon</title>
<link rel="stylesheet" href="/assets/${style}">
<script type="module" src="/assets/${script}"></script>
${preloads.map((chunk) => `<link rel="modulepreload" href="/assets/${chunk}">\n`).join("")}</head>
<body>
<div id="app"></div>
<noscript>The Charon console needs JavaScript; the API is at <a href="/api/docs">/api/docs</a>.</noscript>
</body>
</html>
`,
);
