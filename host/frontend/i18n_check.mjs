// Checks the browser's message catalogs against the code that uses them.
//
//   node host/frontend/i18n_check.mjs                  the host and every plugin under plugins/
//   node host/frontend/i18n_check.mjs plugins/<name>   one package (a folder with frontend/ and messages/;
//                                                      static/*.js too, for a tab shipped as written)
//   node host/frontend/i18n_check.mjs --json …         the findings as JSON, for tests
//
// A package's strings are extractable when every `t("key")` / `ctx.t("key")` in its
// frontend/ code names its key with a literal string. Then, for each package:
// - every key the code uses is in messages/en.json, and every English key is used
//   (keys "tab.<tab key>" title the package's widget tabs, "plugin.title" and
//   "plugin.description" describe it on the Plugins page, "server.…" are the plugin's
//   server sentences (plugin_text); the host reads them);
// - every other language has exactly the English keys;
// - every message parses as ICU MessageFormat, uses the same arguments as the English
//   one, and each plural has "other" and every category whole numbers take in that
//   language (Polish: one, few, many).
// Exit status 1 when anything is wrong.
import { parse, TYPE } from "@formatjs/icu-messageformat-parser";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const args = process.argv.slice(2);
const asJson = args.includes("--json");
const named = args.filter((a) => !a.startsWith("--"));

const CALL = /(?<![\w$])t\(\s*/g;
const TAB_TITLE = /^(tab\.|server\.|plugin\.(title|description)$)/;

function packages() {
  if (named.length) return named.map((p) => resolve(p));
  const found = [join(root, "host")];
  const pluginsDir = join(root, "plugins");
  for (const name of readdirSync(pluginsDir).sort()) {
    const dir = join(pluginsDir, name);
    if (existsSync(join(dir, "frontend")) || existsSync(join(dir, "messages"))) found.push(dir);
  }
  return found;
}

function sources(dir) {
  if (!existsSync(dir)) return [];
  const files = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...sources(path));
    else if (/\.(js|mjs)$/.test(entry) && !["build.mjs", "i18n_check.mjs"].includes(entry)) files.push(path);
  }
  return files;
}

/** Keys the code uses, and calls whose key is not a literal string (not extractable). */
export function extractKeys(files) {
  const used = new Map(); // key -> first "file:line"
  const dynamic = [];
  for (const file of files) {
    // Comments are blanked out (newlines kept, for line numbers): they may mention t().
    const text = readFileSync(file, "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "))
      .replace(/(^|\s)\/\/.*$/gm, (c, lead) => lead + " ".repeat(c.length - lead.length));
    for (const match of text.matchAll(CALL)) {
      const at = match.index + match[0].length;
      const line = text.slice(0, at).split("\n").length;
      const where = `${relative(root, file)}:${line}`;
      const literal = /^(["'])((?:(?!\1)[^\\\n])+)\1\s*[,)]/.exec(text.slice(at));
      if (!literal) {
        dynamic.push(where);
        continue;
      }
      if (!used.has(literal[2])) used.set(literal[2], where);
    }
  }
  return { used, dynamic };
}

function readCatalog(path, problems) {
  try {
    const data = JSON.parse(readFileSync(path, "utf8"));
    if (!data || typeof data !== "object" || Array.isArray(data)) throw new Error("not an object");
    return data;
  } catch (exc) {
    problems.push(`${relative(root, path)}: not a JSON object of messages (${exc.message})`);
    return {};
  }
}

function integerCategories(language) {
  const rules = new Intl.PluralRules(language);
  const categories = new Set(["other"]);
  for (let n = 0; n <= 1000; n += 1) categories.add(rules.select(n));
  return categories;
}

/** Argument names (with their kind) and plurals' categories of one ICU message. */
function shape(message) {
  const args = new Set();
  const plurals = [];
  const walk = (nodes) => {
    for (const node of nodes) {
      if (node.type === TYPE.argument) args.add(`${node.value}`);
      else if (node.type === TYPE.number) args.add(`${node.value}:number`);
      else if (node.type === TYPE.date || node.type === TYPE.time) args.add(`${node.value}:date`);
      else if (node.type === TYPE.select || node.type === TYPE.plural) {
        args.add(`${node.value}:${node.type === TYPE.plural ? "plural" : "select"}`);
        if (node.type === TYPE.plural && node.pluralType !== "ordinal") {
          plurals.push({ name: node.value, categories: Object.keys(node.options) });
        }
        for (const option of Object.values(node.options)) walk(option.value);
      } else if (node.type === TYPE.tag) walk(node.children);
    }
  };
  walk(parse(message));
  return { args, plurals };
}

function checkPackage(dir) {
  const problems = [];
  const name = dir === join(root, "host") ? "host" : basename(dir);
  const messagesDir = join(dir, "messages");
  // The sources: frontend/ (bundled by the build), and static/*.js for a plugin that ships
  // its tab as written (static/dist/ holds built, minified bundles: not sources).
  const shipped = existsSync(join(dir, "static"))
    ? readdirSync(join(dir, "static")).filter((f) => /\.m?js$/.test(f)).map((f) => join(dir, "static", f)) : [];
  const { used, dynamic } = extractKeys([...sources(join(dir, "frontend")), ...shipped]);
  for (const where of dynamic) problems.push(`${where}: t() needs its key as a literal string to be extractable`);
  if (!existsSync(join(messagesDir, "en.json"))) {
    if (used.size) problems.push(`${name}: uses ${used.size} message keys but has no messages/en.json`);
    return { name, problems, keys: 0, languages: [] };
  }
  const english = readCatalog(join(messagesDir, "en.json"), problems);
  for (const [key, where] of used) {
    if (!(key in english)) problems.push(`${where}: "${key}" is not in ${name}'s messages/en.json`);
  }
  for (const key of Object.keys(english)) {
    if (!used.has(key) && !TAB_TITLE.test(key)) problems.push(`${name} en: "${key}" is not used by the code`);
  }
  const englishShapes = {};
  for (const [key, message] of Object.entries(english)) {
    try {
      englishShapes[key] = shape(message);
    } catch (exc) {
      problems.push(`${name} en: "${key}" is not valid ICU (${exc.message})`);
    }
  }
  const languages = readdirSync(messagesDir).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();
  for (const language of languages.filter((l) => l !== "en")) {
    const catalog = readCatalog(join(messagesDir, `${language}.json`), problems);
    const needed = integerCategories(language);
    for (const key of Object.keys(english)) {
      if (!(key in catalog)) problems.push(`${name} ${language}: "${key}" is missing`);
    }
    for (const [key, message] of Object.entries(catalog)) {
      if (!(key in english)) {
        problems.push(`${name} ${language}: "${key}" is not in English (unused)`);
        continue;
      }
      if (typeof message !== "string" || !message.trim()) {
        problems.push(`${name} ${language}: "${key}" is empty`);
        continue;
      }
      let translated;
      try {
        translated = shape(message);
      } catch (exc) {
        problems.push(`${name} ${language}: "${key}" is not valid ICU (${exc.message})`);
        continue;
      }
      const wanted = englishShapes[key];
      if (!wanted) continue;
      const a = [...wanted.args].sort().join(", ");
      const b = [...translated.args].sort().join(", ");
      if (a !== b) problems.push(`${name} ${language}: "${key}" has placeholders {${b}}, English has {${a}}`);
      for (const plural of translated.plurals) {
        const missing = [...needed].filter((c) => !plural.categories.includes(c)).sort();
        if (missing.length) {
          problems.push(`${name} ${language}: "${key}" plural {${plural.name}} lacks ${missing.join(", ")}`);
        }
      }
    }
  }
  return { name, problems, keys: Object.keys(english).length, used: used.size, languages };
}

const results = packages().map(checkPackage);
const problems = results.flatMap((r) => r.problems);
if (asJson) {
  console.log(JSON.stringify({ packages: results, problems }, null, 2));
} else {
  for (const result of results) {
    console.log(`${result.name}: ${result.keys} messages in ${result.languages.join(", ") || "no languages"}`);
  }
  for (const problem of problems) console.error(problem);
}
process.exitCode = problems.length ? 1 : 0;
