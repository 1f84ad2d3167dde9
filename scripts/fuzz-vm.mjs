#!/usr/bin/env node
// The long-running VM-vs-kernel differential (after `npm run build`, as root):
//   node scripts/fuzz-vm.mjs [seed] [seconds]
// Round after round (seed, seed + 1, …) every program with a cases file gets mutated case
// packets on both backends (test/lib/differential.ts); disagreements, each with the packet,
// both results and the VM's instruction trace, go to stdout and to fuzz-vm-failures.txt.
import fs from "node:fs";
import path from "node:path";
import os from "node:os";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { compile } = await import(path.join(root, "dist/compiler/index.js"));
const { casesFiles, readCases } = await import(path.join(root, "dist/test/lib/cases.js"));
const { fuzzCases, pinToCpu } = await import(path.join(root, "dist/test/lib/differential.js"));

const seed = Number(process.argv[2] ?? Date.now() % 1e9);
const seconds = Number(process.argv[3] ?? 600);
const end = Date.now() + seconds * 1000;
const out = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-fuzz-vm-"));
const objects = [];
for (const file of casesFiles()) {
  const source = file.replace(/\.cases\.json$/, ".xdp.ts");
  const built = await compile({ files: [source], outDir: path.join(out, path.basename(path.dirname(source))), noSkeleton: true });
  if (built.diagnostics.length) throw new Error(`${source} does not build`);
  objects.push({ object: built.objects[0].object, cases: readCases(file), name: path.relative(root, source) });
}
const unpin = pinToCpu(0);
const totals = { rounds: 0, packets: 0, disagreements: 0 };
const failures = path.join(process.cwd(), "fuzz-vm-failures.txt");
try {
  for (let round = 0; Date.now() < end; round++) {
    for (const [i, { object, cases, name }] of objects.entries()) {
      if (Date.now() >= end) break;
      const result = await fuzzCases(object, cases, {
        seed: seed + round * objects.length + i,
        perCase: 200,
        deadline: Math.min(end, Date.now() + 30_000),
      });
      totals.packets += result.packets;
      for (const d of result.disagreements) {
        totals.disagreements++;
        const text = `${name}: ${d}\n\n`;
        process.stdout.write(text);
        fs.appendFileSync(failures, text);
      }
    }
    totals.rounds++;
    console.log(`round ${round + 1}: ${objects.length} programs, ${totals.packets} packets, ${totals.disagreements} disagreements so far`);
  }
} finally {
  unpin();
}
console.log(
  `seed ${seed}, ${seconds} s: ${totals.rounds} rounds over ${objects.length} programs, ${totals.packets} packets, ${totals.disagreements} disagreements`,
);
process.exit(totals.disagreements ? 1 : 0);
