// @ts-check
// The script Node runs with `--build-snapshot` to make tsxdp's startup snapshot (started by
// cli/startup-snapshot.ts). Plain CommonJS JavaScript: a snapshot builder on Node 20 gets a
// `require` for Node's built-in modules and nothing else, no `exports` and no import().
//
// It loads typescript.js, then tsxdp's command line and compiler — dist/ is ES modules, so
// each file is turned into CommonJS with TypeScript's own transpiler and run by the small
// loader below — and builds the program it was given once, so that the code of every
// function a build runs is compiled and kept in the snapshot. A command started from the
// snapshot runs cli/launch.js from this loader, with no file read and nothing compiled.
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const url = require("node:url");
const v8 = require("node:v8");
const vm = require("node:vm");
const Module = require("node:module");

/** @typedef {import("../dist/cli/startup-snapshot.js").SnapshotSpec} SnapshotSpec */
/** @typedef {typeof import("typescript")} TypeScript */
/** @typedef {{ exports: any, loaded: boolean }} LoadedModule */

/** @type {SnapshotSpec} */
const spec = JSON.parse(process.env["TSXDP_SNAPSHOT_SPEC"] || "null");
if (!spec) throw new Error("TSXDP_SNAPSHOT_SPEC is not set: cli/startup-snapshot.ts starts this script");

/** Every file this loader ran, by absolute path. */
/** @type {Map<string, LoadedModule>} */
const modules = new Map();
/** What the snapshot was made from: a file changed since makes it stale. */
/** @type {Map<string, { size: number, mtimeMs: number }>} */
const sources = new Map();
const ts = loadTypeScript(spec.typescript.file);

const launch = loadFile(spec.launch);
for (const file of spec.preload) loadFile(file);
warmUp();

v8.startupSnapshot.setDeserializeMainFunction(() => {
  process.argv.splice(1, 0, spec.bin);
  const stale = staleSource();
  if (!stale) return launch.exports.launch(process.argv.slice(2), { typescript: ts });
  // tsxdp or TypeScript changed since: the command runs from the files (and makes a new snapshot).
  importModule(url.pathToFileURL(spec.launch).href).then(
    (cli) => cli.launch(process.argv.slice(2), { stale: snapshotPrefix(), because: stale }),
    (/** @type {unknown} */ error) => {
      process.stderr.write(`tsxdp: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(2);
    },
  );
});

/** @returns {TypeScript} */
function loadTypeScript(/** @type {string} */ file) {
  const module = { exports: {} };
  const wrapper = vm.runInThisContext(Module.wrap(fs.readFileSync(file, "utf8")), { filename: file });
  wrapper.call(module.exports, module.exports, require, module, file, path.dirname(file));
  sources.set(file, stamp(file));
  return /** @type {TypeScript} */ (module.exports);
}

/** @param {string} file */
function stamp(file) {
  const stat = fs.statSync(file);
  return { size: stat.size, mtimeMs: stat.mtimeMs };
}

/**
 * A file of tsxdp (an ES module, made CommonJS here) or of a CommonJS package it imports.
 * @param {string} file
 * @returns {LoadedModule}
 */
function loadFile(file) {
  const known = modules.get(file);
  if (known) return known;
  const module = { exports: {}, loaded: false };
  modules.set(file, module);
  sources.set(file, stamp(file));
  let text = fs.readFileSync(file, "utf8");
  const fileUrl = url.pathToFileURL(file).href;
  if (file.endsWith(".js") && isEsModule(file)) {
    // import.meta.url is the only import.meta tsxdp uses; dynamic import() stays a call the
    // loader answers (TypeScript makes both require() under CommonJS).
    text = ts.transpileModule(text.replaceAll("import.meta.url", "__tsxdp_import_meta_url"), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false },
    }).outputText;
  }
  const wrapper = vm.runInThisContext(`(function (exports, require, module, __filename, __dirname, __tsxdp_import_meta_url) {${text}\n})`, {
    filename: file,
  });
  wrapper.call(module.exports, module.exports, requireFrom(file), module, file, path.dirname(file), fileUrl);
  module.loaded = true;
  return module;
}

/** @param {string} file */
function isEsModule(file) {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest)) return JSON.parse(fs.readFileSync(manifest, "utf8")).type === "module";
    if (path.dirname(dir) === dir) return false;
  }
}

/**
 * require() as seen from `file`: Node's built-in modules, TypeScript for "#typescript" and
 * "typescript", relative files, and packages by their "main".
 * @param {string} file
 */
function requireFrom(file) {
  return (/** @type {string} */ specifier) => {
    if (specifier === "#typescript" || specifier === "typescript") return ts;
    if (specifier.startsWith("node:") || Module.isBuiltin(specifier)) return require(specifier);
    if (specifier.startsWith(".")) return loadFile(path.resolve(path.dirname(file), specifier)).exports;
    return loadFile(packageMain(file, specifier)).exports;
  };
}

/** @param {string} from @param {string} name */
function packageMain(from, name) {
  for (let dir = path.dirname(from); ; dir = path.dirname(dir)) {
    const root = path.join(dir, "node_modules", name);
    if (fs.existsSync(path.join(root, "package.json"))) {
      const main = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).main || "index.js";
      const entry = path.join(root, main);
      return fs.existsSync(entry) ? entry : `${entry}.js`;
    }
    if (path.dirname(dir) === dir) throw new Error(`snapshot: cannot find package '${name}' from ${from}`);
  }
}

/**
 * Builds the given program as `tsxdp build` does (into a temporary folder), so the code of
 * everything a build runs — TypeScript's checker and tsxdp's passes — is compiled. Node runs
 * the event loop to the end before it takes the snapshot, so the build finishes first; what
 * it made is garbage then, and the compiled code stays.
 */
function warmUp() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-snapshot-"));
  const main = loadFile(path.join(path.dirname(spec.launch), "main.js")).exports;
  // A program that is gone or broken by now still warms TypeScript; the snapshot is made anyway.
  Promise.resolve()
    .then(() => main.main(["build", ...spec.warmUp, "-o", out]))
    .catch(() => {})
    .finally(() => fs.rmSync(out, { recursive: true, force: true }));
}

/** The first source that changed since the snapshot was made (an updated tsxdp or TypeScript). */
function staleSource() {
  for (const [file, recorded] of sources) {
    try {
      const now = fs.statSync(file);
      if (now.size !== recorded.size || now.mtimeMs !== recorded.mtimeMs) return file;
    } catch {
      return file;
    }
  }
  return undefined;
}

/** This snapshot's path without `-TIME-SIZE.blob`, so that the command replaces it. */
function snapshotPrefix() {
  const blob = process.execArgv[process.execArgv.indexOf("--snapshot-blob") + 1] || "";
  return blob.replace(/-\d{13}-\d+\.blob$/, "");
}

/**
 * import() of an ES module from a function deserialized from a snapshot: it needs the main
 * context's loader (Node ≥ 20.12; cli/startup-snapshot.ts makes no snapshot before).
 * @param {string} href
 * @returns {Promise<any>}
 */
function importModule(href) {
  hideLoaderWarning();
  const options = /** @type {vm.RunningScriptOptions} */ ({ importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
  return vm.runInThisContext("(href) => import(href)", options)(href);
}

/** Node warns that this loader is experimental; the user cannot act on it. */
function hideLoaderWarning() {
  const emitWarning = process.emitWarning;
  process.emitWarning = /** @type {typeof process.emitWarning} */ (
    function (/** @type {any} */ warning, /** @type {any[]} */ ...rest) {
      if (String(warning).includes("USE_MAIN_CONTEXT_DEFAULT_LOADER")) return;
      return /** @type {Function} */ (emitWarning).call(process, warning, ...rest);
    }
  );
}
