// Compiles .xdp.ts source text for a test into a temporary folder (object + skeleton).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
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
