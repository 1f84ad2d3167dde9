// The seeded random-packet differential: every program with a cases file (verifier-tests/
// pass, examples) gets mutations of its case packets (truncations, bit flips, edge values,
// growth, cuts) on the kernel and on the VM; verdicts, output bytes and afterwards every map,
// global and ring record must agree. Bounded in time; scripts/fuzz-vm.mjs runs it for hours.
// A disagreement prints the packet, both results and the VM's instruction trace.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compile, formatDiagnostic } from "../../compiler/index.js";
import { requireKernel } from "../lib/kernel-env.js";
import { casesFiles, readCases } from "../lib/cases.js";
import { fuzzCases, pinToCpu } from "../lib/differential.js";
import { repoRoot } from "../lib/paths.js";

const seed = Number(process.env.TSXDP_FUZZ_SEED ?? 20261203);
const budgetMs = Number(process.env.TSXDP_FUZZ_MS ?? 45_000);

test("kernel and VM agree on mutated packets through every program with cases", async () => {
  if (!requireKernel("BPF_PROG_TEST_RUN")) return;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-vm-fuzz-"));
  const files = casesFiles();
  const started = Date.now();
  const totals = { programs: 0, packets: 0, disagreements: [] as string[] };
  const unpin = pinToCpu(0);
  try {
    for (const [i, file] of files.entries()) {
      const source = file.replace(/\.cases\.json$/, ".xdp.ts");
      const built = await compile({ files: [source], outDir: path.join(out, path.basename(path.dirname(source))), noSkeleton: true });
      assert.equal(
        built.diagnostics.map((d) => formatDiagnostic(d)),
        [],
      );
      // Each program gets an equal share of the time that is left.
      const share = (budgetMs - (Date.now() - started)) / (files.length - i);
      const result = await fuzzCases(built.objects[0]!.object, readCases(file), {
        seed: seed + i,
        perCase: 5000,
        deadline: Date.now() + share,
      });
      totals.programs++;
      totals.packets += result.packets;
      totals.disagreements.push(...result.disagreements.map((d) => `${path.relative(repoRoot, source)}: ${d}`));
    }
  } finally {
    unpin();
  }
  console.log(
    `VM vs kernel fuzz (seed ${seed}): ${totals.programs} programs, ${totals.packets} packets, ${totals.disagreements.length} disagreements`,
  );
  assert.ok(totals.packets >= totals.programs * 20, `only ${totals.packets} packets in ${budgetMs} ms`);
  assert.ok(totals.disagreements.length === 0, totals.disagreements.join("\n\n"));
});

test.run();
