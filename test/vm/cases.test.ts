// Every NAME.cases.json (verifier-tests/pass, examples/) on the VM backend: first against
// the file's own expectations (no kernel needed), then against the kernel, case by case:
// verdicts, output bytes, every map, the globals and the ring records must agree.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compile, formatDiagnostic } from "../../compiler/index.js";
import { repoRoot } from "../lib/paths.js";
import { requireKernel } from "../lib/kernel-env.js";
import { type Case, bytesOf, casesFiles, readCases, runCases, setCaseMaps } from "../lib/cases.js";
import { BackendPair, pinToCpu, report, vmOptionsLikeKernel } from "../lib/differential.js";

const out = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-vm-cases-"));
const built = new Map<string, string>();

async function objectOf(source: string): Promise<string> {
  const known = built.get(source);
  if (known) return known;
  const result = await compile({ files: [source], outDir: path.join(out, path.basename(path.dirname(source))), noSkeleton: true });
  assert.equal(
    result.diagnostics.map((d) => formatDiagnostic(d)),
    [],
  );
  built.set(source, result.objects[0]!.object);
  return result.objects[0]!.object;
}

const totals = { programs: 0, packets: 0, disagreements: 0 };

for (const file of casesFiles()) {
  const source = file.replace(/\.cases\.json$/, ".xdp.ts");
  const name = path.relative(repoRoot, source);

  test(`${name}: cases on the VM`, async () => {
    const failures = await runCases(await objectOf(source), readCases(file), { backend: "vm" });
    assert.ok(failures.length === 0, failures.join("\n"));
  });

  test(`${name}: the VM and the kernel agree on every case`, async () => {
    if (!requireKernel("BPF_PROG_TEST_RUN")) return;
    const object = await objectOf(source);
    const cases = readCases(file);
    const reports: string[] = [];
    const unpin = pinToCpu(0);
    try {
      totals.programs++;
      for (const c of cases.cases) reports.push(...(await differentialCase(object, cases.program, c)));
    } finally {
      unpin();
    }
    totals.disagreements += reports.length;
    assert.ok(reports.length === 0, `${reports.length} disagreements:\n${reports.join("\n\n")}`);
  });
}

async function differentialCase(object: string, defaultProgram: string, c: Case): Promise<string[]> {
  const pair = await BackendPair.open(object, vmOptionsLikeKernel(0));
  const reports: string[] = [];
  try {
    setCaseMaps(pair.kernel, c);
    setCaseMaps(pair.vm, c);
    const program = c.program ?? defaultProgram;
    for (const p of [...(c.before ?? []), c.packet]) {
      const packet = bytesOf(p);
      totals.packets++;
      const comparison = pair.run(program, packet);
      if (comparison.problems.length)
        reports.push(report(`case "${c.name}"`, packet, comparison, comparison.problems, pair.trace(program, packet)));
    }
    const state = pair.compareState();
    if (state.length)
      reports.push(
        report(`case "${c.name}" (state after its packets)`, bytesOf(c.packet), undefined, state, pair.trace(program, bytesOf(c.packet))),
      );
  } finally {
    pair.close();
  }
  return reports;
}

test("differential totals", () => {
  console.log(`VM vs kernel on the cases: ${totals.programs} programs, ${totals.packets} packets, ${totals.disagreements} disagreements`);
});

test.run();
