// A compile's output depends only on its input: the same file compiled twice in one
// process, with another compile in between, gives the same IR byte for byte.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../lib/paths.js";
import { compile, formatDiagnostic } from "../../compiler/index.js";

async function irOf(file: string): Promise<string> {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-deterministic-"));
  try {
    const result = await compile({ files: [file], outDir, noSkeleton: true });
    assert.equal(
      result.diagnostics.map((d) => formatDiagnostic(d)),
      [],
    );
    return result.objects[0]!.ir;
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

test("compiling a file again after another compile gives byte-identical IR", async () => {
  // Both read ctx.len, whose lowering numbers an llvm.bpf.passthrough call.
  const file = path.join(repoRoot, "verifier-tests", "pass", "ctx-fields-on-two-paths.xdp.ts");
  const other = path.join(repoRoot, "verifier-tests", "pass", "adjust-tail.xdp.ts");
  const first = await irOf(file);
  assert.match(first, /@llvm\.bpf\.passthrough\.i32\.i32\(i32 2000,/);
  await irOf(other);
  const again = await irOf(file);
  assert.ok(first === again, "the second compile's IR differs from the first's");
});

test.run();
