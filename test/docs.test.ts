// The shipped documentation: every Markdown file in the package links only to files that are
// in the package too, and every TypeScript/JavaScript snippet in it parses on the oldest Node
// that package.json's `engines` allows (`await using`, for one, is a SyntaxError on Node 20).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ts from "typescript";
import { repoRoot } from "./lib/paths.js";

const packed: string[] = (() => {
  const r = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: repoRoot, encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
})();
const shippedDocs = packed.filter((f) => f.endsWith(".md"));

test("docs/ ships in the package", () => {
  for (const doc of ["README.md", "docs/language.md", "docs/runtime.md"]) assert.ok(packed.includes(doc), `${doc} is not in the package`);
});

test("no shipped document links outside the package", () => {
  const outside: string[] = [];
  for (const doc of shippedDocs) {
    const text = fs.readFileSync(path.join(repoRoot, doc), "utf8");
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (target!.startsWith("#")) continue;
      const file = path.posix.normalize(path.posix.join(path.posix.dirname(doc), target!.replace(/#.*$/, "")));
      if (/^[a-z]+:/i.test(target!) || !packed.includes(file)) outside.push(`${doc}: ${target}`);
    }
  }
  assert.equal(outside, []);
});

test("every shipped TypeScript/JavaScript snippet parses on the oldest Node engines allows", () => {
  const engines = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")).engines.node as string;
  const oldest = Number(/>=\s*(\d+)/.exec(engines)![1]);
  const running = Number(process.versions.node.split(".")[0]);
  if (running !== oldest) {
    // A newer Node parses more than the oldest allowed one: checking there would prove nothing.
    console.log(`  (snippets not checked: this is Node ${running}, engines allow Node ${oldest})`);
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-snippets-"));
  const failures: string[] = [];
  try {
    for (const doc of shippedDocs) {
      const text = fs.readFileSync(path.join(repoRoot, doc), "utf8");
      let index = 0;
      for (const [, lang, code] of text.matchAll(/```(ts|js|typescript|javascript)\n([\s\S]*?)```/g)) {
        // Types are erased as tsc would; newer syntax (ESNext) is kept, so Node decides.
        const js = ts.transpileModule(code!, {
          compilerOptions: { target: ts.ScriptTarget.ESNext, module: ts.ModuleKind.ESNext },
          reportDiagnostics: false,
        }).outputText;
        const file = path.join(dir, `${doc.replace(/\W/g, "_")}-${index++}.mjs`);
        fs.writeFileSync(file, lang!.startsWith("j") ? code! : js);
        const r = spawnSync(process.execPath, ["--check", file], { encoding: "utf8" });
        if (r.status !== 0) failures.push(`${doc} snippet ${index}:\n${code}\n${r.stderr.split("\n").slice(0, 5).join("\n")}`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(failures, []);
});

test.run();
