// ESLint for the browser code of the host and the built-in plugins (`make lint`).
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["**/dist/**", "node_modules/**", ".venv/**", "test-results/**", "instance/**"] },
  js.configs.recommended,
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    rules: {
      // `_name` marks a value taken apart on purpose and left unused.
      "no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    files: ["host/frontend/build.mjs"],
    languageOptions: { globals: { ...globals.node } },
  },
];
