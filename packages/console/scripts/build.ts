/**
 * `npm run build --workspace=packages/console`: bundles the console with esbuild (Preact's JSX,
 * minified, names carrying a content hash so a CDN can cache them for ever) into `dist/`, and writes
 * `dist/index.html` naming the bundles. `npm start` runs it first (the root `prestart`), so it must
 * stay fast: one bundle, no type check (that is `npm run typecheck`'s job).
 */
import { rm, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = `${root}dist`;

await rm(dist, { recursive: true, force: true });
const result = await build({
  entryPoints: [`${root}src/main.tsx`],
  outdir: `${dist}/assets`,
  entryNames: "[name]-[hash]",
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});

const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
const script = outputs.find((name) => name.endsWith(".js"));
const style = outputs.find((name) => name.endsWith(".css"));
if (!script || !style) throw new Error(`esbuild wrote ${outputs.join(", ")}: expected one .js and one .css`);

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
</head>
<body>
<div id="app"></div>
<noscript>The Charon console needs JavaScript; the API is at <a href="/api/docs">/api/docs</a>.</noscript>
</body>
</html>
`,
);
