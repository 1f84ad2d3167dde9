// Fuzzing of the compiler. First the hostile corpus (scripts/hostile-corpus.mjs: deep
// nesting, huge functions, hostile names), each with the outcome it must have; then, until
// the time is up, mutation fuzzing: variants of every pass program and example (truncated,
// lines deleted, tokens inserted: test/lib/mutations.ts, imported from dist) must give
// diagnostics or an object the kernel verifier accepts — never an exception, an internal
// error (TSX9001), or a rejected object.
//   npm run build && node scripts/fuzz-compiler.mjs [seed] [seconds]     (root, for the verifier)
// CI runs it for a few seconds (test/compiler/fuzz-script.test.ts). Failing inputs are kept
// in the printed folder; the last line is a JSON summary; the exit code is 1 on a problem.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { compile, check } = await import(path.join(root, "dist/compiler/index.js"));
const { verifyObject } = await import(path.join(root, "dist/compiler/verify.js"));
const { hostileCorpus } = await import(path.join(root, "scripts/hostile-corpus.mjs"));
const { mutate, seededRandom } = await import(path.join(root, "dist/test/lib/mutations.js"));
// Verifying needs root (BPF_PROG_LOAD); without it accepted objects are counted, not loaded.
const canVerify = process.getuid?.() === 0;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-fuzz-"));
const programsIn = (folder) =>
  fs
    .readdirSync(folder)
    .filter((f) => f.endsWith(".xdp.ts"))
    .map((f) => path.join(folder, f));
const sources = [
  ...programsIn(path.join(root, "verifier-tests/pass")),
  ...fs
    .readdirSync(path.join(root, "examples"), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => programsIn(path.join(root, "examples", d.name))),
];
const random = seededRandom(Number(process.argv[2] ?? 7));
let variants = 0,
  accepted = 0,
  problems = 0;

/** Whether a generated skeleton parses (node --check, as an ES module). */
function skeletonParses(skeleton) {
  const copy = path.join(dir, "skeleton-check.mjs");
  fs.copyFileSync(skeleton, copy);
  return spawnSync(process.execPath, ["--check", copy]).status === 0;
}

let corpusRun = 0;
for (const entry of hostileCorpus()) {
  corpusRun++;
  const at = path.join(dir, "corpus", String(corpusRun));
  const file = path.join(at, entry.path);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, entry.source);
  for (const [extraPath, text] of Object.entries(entry.extra ?? {})) fs.writeFileSync(path.join(at, extraPath), text);
  const problem = (what) => {
    problems++;
    console.log(`corpus '${entry.name}': ${what} (kept in ${at})`);
  };
  try {
    // An entry that must compile is compiled (the passes of `check`, then LLVM); one that must
    // be refused is checked, as `tsxdp check` would.
    const checked = entry.expect === "object" ? { diagnostics: [] } : await check({ files: [file] });
    const result =
      entry.expect === "object" ? await compile({ files: [file], outDir: path.join(at, "out") }) : { diagnostics: [], objects: [] };
    const all = [...checked.diagnostics, ...result.diagnostics];
    const internal = all.find((d) => d.code === 9001 && d.prefix === "TSX");
    if (internal) problem(`internal error: ${internal.message}`);
    else if (entry.expect === "object") {
      if (result.diagnostics.length || result.objects.length !== 1)
        problem(
          `expected an object, got ${
            all
              .map((d) => `${d.prefix}${d.code} ${d.message}`)
              .join("; ")
              .slice(0, 500) || "nothing"
          }`,
        );
      else if (!skeletonParses(result.objects[0].skeleton)) problem(`the skeleton ${result.objects[0].skeleton} is not valid JavaScript`);
      else if (canVerify) {
        const outcome = verifyObject(result.objects[0]);
        if (!outcome.ok) problem(`accepted by check, refused by the kernel: ${outcome.report.split("\n").slice(0, 3).join(" | ")}`);
      }
    } else if (!checked.diagnostics.some((d) => d.prefix === "TSX" && d.code === entry.expect)) {
      problem(
        `expected TSX${entry.expect} from check, got ${
          checked.diagnostics
            .map((d) => `${d.prefix}${d.code} ${d.message}`)
            .join("; ")
            .slice(0, 500) || "no diagnostic"
        }`,
      );
    }
  } catch (error) {
    problem(`exception: ${error.stack}`);
  }
  if (!problems) fs.rmSync(at, { recursive: true, force: true });
}

// The time budget is for mutation fuzzing: the corpus always runs whole.
const deadline = Date.now() + Number(process.argv[3] ?? 300) * 1000;
while (Date.now() < deadline) {
  for (const source of sources) {
    if (Date.now() >= deadline) break;
    // Beside the original, so relative imports (verifier-tests/pass/shared) still resolve.
    const file = path.join(path.dirname(source), `.fuzz-${process.pid}.xdp.ts`);
    fs.writeFileSync(file, mutate(fs.readFileSync(source, "utf8"), random));
    variants++;
    const keep = (why) => {
      problems++;
      const kept = path.join(dir, `${why}-${variants}.xdp.ts`);
      fs.copyFileSync(file, kept);
      return kept;
    };
    try {
      const result = await compile({ files: [file], outDir: dir, noSkeleton: true });
      const internal = result.diagnostics.find((d) => d.code === 9001 && d.prefix === "TSX");
      if (internal) console.log(`internal error: ${keep("internal")}: ${internal.message}`);
      for (const object of result.objects) {
        accepted++;
        if (!canVerify) continue;
        const outcome = verifyObject(object);
        if (!outcome.ok)
          console.log(`verifier rejected an accepted program: ${keep("rejected")}\n${outcome.report.split("\n").slice(0, 3).join("\n")}`);
      }
    } catch (error) {
      console.log(`exception: ${keep("exception")}: ${error.stack}`);
    } finally {
      fs.rmSync(file, { force: true });
    }
  }
}
console.log(JSON.stringify({ corpus: corpusRun, variants, accepted, verified: canVerify, problems, kept: dir }));
if (!problems) fs.rmSync(dir, { recursive: true, force: true });
process.exitCode = problems ? 1 : 0;
