// Loads TypeScript for the `tsxdp` command with a V8 code cache: compiling typescript.js (9 MB)
// is most of a cold build's CPU time on Node 20, which has no module compile cache. The first
// run compiles it as require() would and, when the command is done, stores V8's code for every
// function it ran; later runs hand that to V8 instead of compiling. The cache is keyed by the
// Node version, architecture, typescript.js's path, size and mtime, and carries a digest of its
// bytes: anything that does not match (another Node, an updated TypeScript, a torn or corrupt
// file, V8 refusing it) is ignored and the plain compile runs, so the result never depends on it.
// TSXDP_CACHE_DIR chooses the folder (default $XDG_CACHE_HOME/tsxdp or ~/.cache/tsxdp);
// TSXDP_CACHE_DIR=off turns the cache off.
import { createHash } from "node:crypto";
import fs from "node:fs";
import Module, { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";

const magic = "tsxdp-v8-code-cache 1\n";

function cacheDirectory(): string | undefined {
  const chosen = process.env["TSXDP_CACHE_DIR"];
  if (chosen === "off") return undefined;
  if (chosen) return chosen;
  return path.join(process.env["XDG_CACHE_HOME"] || path.join(os.homedir(), ".cache"), "tsxdp");
}

/** What the cached code was compiled from and for; a cache with another key is not used. */
function cacheKey(file: string, stat: fs.Stats): string {
  return JSON.stringify({
    node: process.version,
    v8: process.versions.v8,
    arch: process.arch,
    file,
    size: stat.size,
    mtimeMs: stat.mtimeMs,
  });
}

const digest = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** The cached code for `key` in `cacheFile`, or undefined when it is missing or does not check out. */
function readCache(cacheFile: string, key: string): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  // Layout: magic, key line, digest line, then V8's data.
  const headerEnd = bytes.indexOf("\n", bytes.indexOf("\n", magic.length) + 1);
  if (headerEnd < 0 || bytes.subarray(0, magic.length).toString("latin1") !== magic) return undefined;
  const [storedKey, storedDigest] = bytes.subarray(magic.length, headerEnd).toString("utf8").split("\n");
  const data = bytes.subarray(headerEnd + 1);
  return storedKey === key && storedDigest === digest(data) ? data : undefined;
}

/** Written to a temporary name and renamed: concurrent builds never read a half-written file. */
function writeCache(cacheFile: string, key: string, data: Buffer): void {
  try {
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
    const temporary = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, Buffer.concat([Buffer.from(`${magic}${key}\n${digest(data)}\n`), data]));
    fs.renameSync(temporary, cacheFile);
  } catch {
    // A read-only or full disk only costs the next run its speed.
  }
}

const typeScriptImporter = new URL("../compiler/typescript-module.js", import.meta.url).href;

/** Loads TypeScript for the compiler's `#typescript` import (compiler/typescript-module.ts). */
export function preloadTypeScript(): void {
  loadTypeScript(typeScriptImporter);
}

/** The typescript.js that the compiler's `#typescript` import loads. */
export function typeScriptFile(): string {
  return createRequire(typeScriptImporter).resolve("typescript");
}

/** Makes `typescript` (loaded elsewhere: the startup snapshot) what the compiler's `#typescript` import returns. */
export function registerTypeScript(typescript: unknown): void {
  const file = typeScriptFile();
  const cjs = Module as unknown as { _cache: Record<string, Module>; _nodeModulePaths(dir: string): string[] };
  const module = new Module(file);
  module.filename = file;
  module.paths = cjs._nodeModulePaths(path.dirname(file));
  module.exports = typescript;
  module.loaded = true;
  cjs._cache[file] = module;
}

/**
 * TypeScript as `require("typescript")` from `fromUrl` returns it, compiled with the code cache
 * when there is a valid one. The module is entered in require's cache, so later require()s
 * (the language-service plugin, tests) get the same object.
 */
export function loadTypeScript(fromUrl: string): unknown {
  const requireFrom = createRequire(fromUrl);
  const directory = cacheDirectory();
  if (!directory) return requireFrom("typescript");
  const file = requireFrom.resolve("typescript");
  const cjs = Module as unknown as {
    _cache: Record<string, Module>;
    wrap(source: string): string;
    _nodeModulePaths(dir: string): string[];
  };
  const existing = cjs._cache[file];
  if (existing) return existing.exports;
  const stat = fs.statSync(file);
  const key = cacheKey(file, stat);
  const cacheFile = path.join(directory, `typescript-${createHash("sha256").update(key).digest("hex").slice(0, 16)}.v8cache`);
  const cachedData = readCache(cacheFile, key);
  const script = new vm.Script(cjs.wrap(fs.readFileSync(file, "utf8")), { filename: file, cachedData });
  const module = new Module(file);
  module.filename = file;
  module.paths = cjs._nodeModulePaths(path.dirname(file));
  cjs._cache[file] = module;
  try {
    const wrapper = script.runInThisContext() as (
      exports: unknown,
      require: NodeJS.Require,
      module: Module,
      filename: string,
      dirname: string,
    ) => void;
    wrapper.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  } catch (error) {
    delete cjs._cache[file];
    throw error;
  }
  module.loaded = true;
  // Stored at exit, so the functions this command ran are in it, not only the top level.
  if (!cachedData || script.cachedDataRejected) process.once("exit", () => writeCache(cacheFile, key, script.createCachedData()));
  return module.exports;
}
