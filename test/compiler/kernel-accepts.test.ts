// The kernel is the judge: every program in verifier-tests/pass and examples/ compiles
// without a diagnostic and loads into the running kernel. (Behaviour on packets is checked
// by the cases beside each program.)
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compile, formatDiagnostic } from "../../compiler/index.js";
import { verifyObject } from "../../compiler/verify.js";
import { repoRoot } from "../lib/paths.js";
import { requireKernel } from "../lib/kernel-env.js";

/** Program files: NAME.xdp.ts in pass/ and in each example folder (lib/ folders hold helpers). */
export function programFiles(): string[] {
  const pass = path.join(repoRoot, "verifier-tests", "pass");
  const files = fs.readdirSync(pass).filter((f) => f.endsWith(".xdp.ts")).map((f) => path.join(pass, f));
  const examples = path.join(repoRoot, "examples");
  for (const dir of fs.readdirSync(examples)) {
    const folder = path.join(examples, dir);
    if (!fs.statSync(folder).isDirectory()) continue;
    for (const f of fs.readdirSync(folder)) if (f.endsWith(".xdp.ts")) files.push(path.join(folder, f));
  }
  return files.sort();
}

const out = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-accepts-"));

for (const file of programFiles()) {
  const name = path.relative(repoRoot, file);
  test(`${name} compiles and the verifier accepts it`, async () => {
    const result = await compile({ files: [file], outDir: path.join(out, path.basename(path.dirname(file))), noSkeleton: true });
    assert.equal(result.diagnostics.map((d) => formatDiagnostic(d)), [], "diagnostics");
    if (!requireKernel("BPF_PROG_LOAD of XDP programs")) return;
    const object = result.objects[0]!;
    const outcome = verifyObject(object);
    assert.ok(outcome.ok, outcome.report);
  });
}

test.run();
