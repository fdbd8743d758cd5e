// Builds the browser code with esbuild's JS API.
//
//   node host/frontend/build.mjs            one build (what `npm run build` does)
//   node host/frontend/build.mjs --watch    rebuild on change while developing
//
// Outputs (all gitignored, never committed):
//   host/frontend/console.js, widget.js, admin_forms.js -> host/static/dist/*.js (ESM, minified, sourcemaps)
//   plugins/<name>/frontend/<entry>.js        -> plugins/<name>/static/dist/<entry>.js (ESM)
//
// Every top-level .js file in a plugin's frontend/ folder is an entry point (a widget
// tab's ES module exporting `mount(element, ctx)`); files in sub-folders are only
// imported. Third-party code comes from node_modules, bundled in; nothing is vendored.
// Only the built-in plugins under plugins/ are built here: a plugin installed with pip
// ships its tab bundles prebuilt in its package, and the host serves them as they are.
// Tab bundles import nothing from the host (the host's helpers come in the tab's ctx).
import * as esbuild from "esbuild";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const watch = process.argv.includes("--watch");

const common = {
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: true,
  sourcemap: true,
  legalComments: "linked",
  logLevel: "warning",
  absWorkingDir: root,
};

function hostBuild() {
  return {
    ...common,
    entryPoints: ["console.js", "widget.js", "admin_forms.js", "replies.js", "profile.js"].map((name) => join(here, name)),
    outdir: join(root, "host", "static", "dist"),
  };
}

function pluginBuilds() {
  const pluginsDir = join(root, "plugins");
  if (!existsSync(pluginsDir)) return [];
  const builds = [];
  for (const name of readdirSync(pluginsDir).sort()) {
    const frontend = join(pluginsDir, name, "frontend");
    if (!existsSync(frontend) || !statSync(frontend).isDirectory()) continue;
    const entries = readdirSync(frontend)
      .filter((file) => file.endsWith(".js") && statSync(join(frontend, file)).isFile())
      .sort()
      .map((file) => join(frontend, file));
    if (!entries.length) continue;
    builds.push({
      ...common,
      entryPoints: entries,
      outdir: join(pluginsDir, name, "static", "dist"),
    });
  }
  return builds;
}

const builds = [hostBuild(), ...pluginBuilds()];

if (watch) {
  for (const options of builds) {
    const context = await esbuild.context(options);
    await context.watch();
  }
  console.log("Watching host/frontend and plugins/*/frontend for changes…");
} else {
  const started = Date.now();
  await Promise.all(builds.map((options) => esbuild.build(options)));
  const outdirs = builds.map((b) => relative(root, b.outdir)).join(", ");
  console.log(`Built ${builds.length} bundle group(s) in ${Date.now() - started} ms → ${outdirs}`);
}
