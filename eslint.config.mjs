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
      // A module says one thing: past 300 lines it is split by what its parts do.
      "max-lines": ["error", { max: 300 }],
    },
  },
  {
    // Plugin tabs are bundles of their own: the host's helpers come in the tab's ctx
    // (ctx.dom, ctx.style), never from host source files.
    files: ["plugins/**/*.js", "examples/**/*.js"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{
        group: ["**/host/**", "**/frontend/lib/dom.js", "**/plugins/**"],
        message: "Plugins import nothing from the host or other plugins: use ctx.dom and ctx.style.",
      }] }],
    },
  },
  {
    files: ["host/frontend/build.mjs", "host/frontend/i18n_check.mjs"],
    languageOptions: { globals: { ...globals.node } },
  },
];
