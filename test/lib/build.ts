// Compiles .xdp.ts source text for a test into a temporary folder (object + skeleton).
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "./paths.js";
import { compile, formatDiagnostic } from "../../compiler/index.js";

export async function buildSource(name: string, source: string): Promise<{ object: string; skeleton: string; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tsxdp-${name}-`));
  const file = path.join(dir, `${name}.xdp.ts`);
  fs.writeFileSync(file, source);
  return buildFile(file, dir);
}

export async function buildFile(file: string, outDir: string): Promise<{ object: string; skeleton: string; dir: string }> {
  const result = await compile({ files: [file], outDir });
  if (result.diagnostics.length) throw new Error(result.diagnostics.map((d) => formatDiagnostic(d)).join("\n"));
  const o = result.objects[0]!;
  return { object: o.object, skeleton: o.skeleton!, dir: outDir };
}

/**
 * Builds `source` into a fresh folder under the repository's tmp/ (git-ignored) and imports
 * its skeleton. Inside the package folder, the skeleton's `import … from "tsxdp/runtime"`
 * resolves to this checkout (a package may import itself by name through its exports).
 */
export async function buildSkeleton<T = Record<string, any>>(
  name: string,
  source: string,
): Promise<{ module: T; dir: string; object: string; skeleton: string }> {
  const root = path.join(repoRoot, "tmp");
  fs.mkdirSync(root, { recursive: true });
  const dir = fs.mkdtempSync(path.join(root, `${name}-`));
  const file = path.join(dir, `${name}.xdp.ts`);
  fs.writeFileSync(file, source);
  const built = await buildFile(file, dir);
  const module = (await import(pathToFileURL(built.skeleton).href)) as T;
  return { module, ...built };
}

/** Compiles the C program test/fixtures/`fixture` into `object` with clang-14, as a C user of libbpf would; the caller judges the result. */
export function clangFixture(fixture: string, object: string, extraFlags: string[] = []): SpawnSyncReturns<string> {
  const source = path.join(repoRoot, "test/fixtures", fixture);
  const flags = ["-O2", "-g", "-target", "bpf", ...extraFlags, "-I/usr/include/x86_64-linux-gnu", "-c", source, "-o", object];
  return spawnSync("clang-14", flags, { encoding: "utf8", timeout: 60_000 });
}
