// Every program in verifier-tests/pass and examples/ compiles without a diagnostic and the
// running kernel's verifier accepts it; with a NAME.cases.json beside it, it is then run on
// each case's packet and checked (verdict, bytes, maps, ring records).
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compile, formatDiagnostic, verifyObject } from "../compiler/index.js";
import { repoRoot } from "./lib/paths.js";
import { requireKernel } from "./lib/kernel-env.js";
import { readCases, runCases } from "./lib/cases.js";
import { casesFileOf, examplePrograms, passPrograms } from "./lib/programs.js";

const out = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-pass-"));

for (const source of [...passPrograms(), ...examplePrograms()]) {
  const casesFile = casesFileOf(source);
  test(`${path.relative(repoRoot, source)}: the verifier accepts it${casesFile ? ", its cases pass" : ""}`, async () => {
    const cases = casesFile ? readCases(casesFile) : undefined;
    if (cases) assert.ok(cases.cases.length > 0, "no cases");
    const result = await compile({ files: [source], outDir: path.join(out, path.basename(path.dirname(source))), noSkeleton: true });
    assert.equal(
      result.diagnostics.map((d) => formatDiagnostic(d)),
      [],
      "diagnostics",
    );
    const object = result.objects[0]!;
    if (!requireKernel("BPF_PROG_LOAD of XDP programs")) return;
    const outcome = verifyObject(object);
    assert.ok(outcome.ok, outcome.report);
    if (!cases || !requireKernel("BPF_PROG_TEST_RUN")) return;
    const failures = await runCases(object.object, cases);
    assert.equal(failures, [], failures.join("\n"));
  });
}

test.run();
