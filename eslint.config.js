// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { noImportCycle } from "./scripts/lint/no-import-cycle.js";

export default tseslint.config(
  {
    ignores: [
      ".readme-blocks/**",
      "dist/**",
      "node_modules/**",
      "coverage/**",
      "test-results/**",
      "src/scripts/scripts.generated.ts",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strict,
  ...tseslint.configs.stylistic,
  {
    rules: {
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-definitions": "off",
      "@typescript-eslint/no-empty-object-type": "off",
      "no-restricted-syntax": [
        "error",
        { selector: "ExportDefaultDeclaration", message: "Use named exports." },
        {
          selector:
            "CallExpression[callee.property.name='keys'][arguments.length=1][arguments.0.type='Literal']",
          message: "Never use the Redis KEYS command.",
        },
      ],
    },
  },
  {
    // Import cycles (type-only ones too) mean a declaration lives in the wrong module.
    files: ["src/**/*.ts"],
    plugins: { local: { rules: { "no-import-cycle": noImportCycle } } },
    rules: { "local/no-import-cycle": "error" },
  },
  {
    files: ["eslint.config.js", "vitest.config.ts"],
    rules: { "no-restricted-syntax": "off" },
  },
  {
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-non-null-assertion": "off" },
  },
);
