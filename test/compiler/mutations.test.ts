// Robustness by mutation: variants of the pass programs (truncated, lines deleted, tokens
// inserted: test/lib/mutations.ts, the mutations scripts/fuzz-compiler.mjs makes; fixed
// seeds) must never crash the compiler (no exception, no TSX9001), and every variant it
// accepts must also pass the kernel verifier.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compile, verifyObject } from "../../compiler/index.js";
import { repoRoot } from "../lib/paths.js";
import { kernelUnavailable, requireKernel } from "../lib/kernel-env.js";
import { passPrograms } from "../lib/programs.js";
import { mutate, seededRandom } from "../lib/mutations.js";

const variantsPerFile = 25;

function* variants(text: string, seed: number): Generator<string> {
  const random = seededRandom(seed);
  for (let k = 0; k < variantsPerFile; k++) yield mutate(text, random);
}

test("mutated programs: diagnostics or a verified object, never a crash", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-mutations-"));
  const sources = passPrograms();
  sources.push(path.join(repoRoot, "examples/firewall/firewall.xdp.ts"));
  const canVerify = kernelUnavailable() === undefined || requireKernel("BPF_PROG_LOAD");
  let n = 0;
  let accepted = 0;
  for (const source of sources) {
    for (const text of variants(fs.readFileSync(source, "utf8"), 42 + n)) {
      const file = path.join(dir, `variant${n++}.xdp.ts`);
      fs.writeFileSync(file, text);
      const result = await compile({ files: [file], outDir: dir, noSkeleton: true });
      const internal = result.diagnostics.find((d) => d.code === 9001 && d.prefix === "TSX");
      assert.not.ok(internal, `${file}: ${internal?.message}`);
      for (const object of result.objects) {
        accepted++;
        if (!canVerify) continue;
        const outcome = verifyObject(object);
        assert.ok(outcome.ok, `${file} compiled but the verifier rejected it:\n${outcome.report.slice(0, 2000)}`);
      }
    }
  }
  assert.ok(n > 50 && accepted > 0, `${n} variants, ${accepted} accepted`);
  fs.rmSync(dir, { recursive: true, force: true });
});

test.run();
