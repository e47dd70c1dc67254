import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", ".charon/", ".sst/", ".test-env/", "**/dist/", "sst-env.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly" },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      // The pure core must not reach for an SDK or another package's internals.
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["@charon/*/src/*", "../../*/src/*"], message: "Import a package through its exports." }] },
      ],
    },
  },
  {
    files: ["packages/zones/**/*.ts", "packages/core/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["@aws-sdk/*", "@charon/aws", "@charon/api", "@charon/local", "@charon/dns", "hono", "hono/*"], message: "The core stays free of SDKs and adapters." },
          ],
        },
      ],
    },
  },
  {
    // SST provides these globals when it evaluates its config.
    files: ["sst.config.ts"],
    languageOptions: { globals: { $config: "readonly", $app: "readonly", sst: "readonly" } },
    rules: { "@typescript-eslint/triple-slash-reference": "off" },
  },
);
