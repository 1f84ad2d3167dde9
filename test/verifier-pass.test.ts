// Programs with NAME.cases.json beside them (verifier-tests/pass and examples/): built,
// loaded into the kernel, run on each case's packet, and checked (verdict, bytes, maps).
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compile, formatDiagnostic } from "../compiler/index.js";
import { repoRoot } from "./lib/paths.js";
import { requireKernel } from "./lib/kernel-env.js";
import { readCases, runCases } from "./lib/cases.js";

function casesFiles(): string[] {
  const out: string[] = [];
  const pass = path.join(repoRoot, "verifier-tests", "pass");
  for (const f of fs.readdirSync(pass)) if (f.endsWith(".cases.json")) out.push(path.join(pass, f));
  const examples = path.join(repoRoot, "examples");
  for (const dir of fs.readdirSync(examples)) {
    const folder = path.join(examples, dir);
    if (!fs.statSync(folder).isDirectory()) continue;
    for (const f of fs.readdirSync(folder)) if (f.endsWith(".cases.json")) out.push(path.join(folder, f));
  }
  return out.sort();
}

const out = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-cases-"));

for (const file of casesFiles()) {
  const source = file.replace(/\.cases\.json$/, ".xdp.ts");
  test(`${path.relative(repoRoot, source)}: cases`, async () => {
    const cases = readCases(file);
    assert.ok(cases.cases.length > 0, "no cases");
    const result = await compile({ files: [source], outDir: path.join(out, path.basename(path.dirname(source))), noSkeleton: true });
    assert.equal(result.diagnostics.map((d) => formatDiagnostic(d)), []);
    if (!requireKernel("BPF_PROG_TEST_RUN")) return;
    const failures = await runCases(result.objects[0]!.object, cases);
    assert.equal(failures, [], failures.join("\n"));
  });
}

test.run();
