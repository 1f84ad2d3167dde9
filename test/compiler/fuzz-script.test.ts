// scripts/fuzz-compiler.mjs in CI: the whole hostile corpus (deep nesting, huge functions,
// hostile names; scripts/hostile-corpus.mjs), then a few seconds of mutation fuzzing. Zero
// internal errors (TSX9001), zero programs accepted by `check` and refused by LLVM or the
// kernel, every corpus entry with the outcome it names.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { repoRoot } from "../lib/paths.js";
import { kernelUnavailable, requireKernel } from "../lib/kernel-env.js";

const mutationSeconds = 8;

test("fuzz-compiler.mjs: the hostile corpus and a short mutation run find no problem", () => {
  const verifying = kernelUnavailable() === undefined || requireKernel("BPF_PROG_LOAD (verifying the fuzzed objects)");
  const run = spawnSync(process.execPath, [path.join(repoRoot, "scripts/fuzz-compiler.mjs"), "11", String(mutationSeconds)], {
    encoding: "utf8",
    timeout: 600_000,
  });
  const output = `${run.stdout}\n${run.stderr}`;
  const summary = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}") as {
    corpus?: number;
    variants?: number;
    verified?: boolean;
    problems?: number;
  };
  assert.is(run.status, 0, output.slice(-4000));
  assert.is(summary.problems, 0, output.slice(-4000));
  assert.ok((summary.corpus ?? 0) >= 25, `only ${summary.corpus} corpus entries ran`);
  assert.ok((summary.variants ?? 0) > 0, "no mutation variant ran");
  assert.is(summary.verified, verifying, "the script verified objects in the kernel exactly when the kernel is available");
});

test.run();
