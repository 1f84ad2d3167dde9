// compiler/, runtime/ and cli/ import one another's values without cycles: a module's
// imports point down or forward (pass to later pass, library to command line), so each
// file can be read, tested and moved knowing only what is below it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import { repoRoot } from "./lib/paths.js";
import { importCycles, sourceFiles, valueImports } from "./lib/import-graph.js";

const layers = ["compiler", "runtime", "cli"].map((folder) => path.join(repoRoot, folder));

test("no value-import cycle in compiler/, runtime/ or cli/", () => {
  const cycles = importCycles(sourceFiles(layers), repoRoot);
  assert.equal(
    cycles.map((c) => c.join(" → ")),
    [],
  );
});

test("compiler/ and runtime/ are libraries: neither loads cli/, and the compiler never loads the native addon", () => {
  const offending: string[] = [];
  for (const file of sourceFiles(layers.slice(0, 2))) {
    for (const target of valueImports(file)) {
      if (path.relative(repoRoot, target).startsWith(`cli${path.sep}`))
        offending.push(`${path.relative(repoRoot, file)} → ${path.relative(repoRoot, target)}`);
    }
  }
  assert.equal(offending, []);
  // tsxdp build and check run where the addon is not built: what the compiler loads, transitively.
  const loaded = new Set<string>();
  const queue = sourceFiles([layers[0]!]);
  while (queue.length) {
    const file = queue.pop()!;
    if (loaded.has(file) || !fs.existsSync(file)) continue;
    loaded.add(file);
    queue.push(...valueImports(file));
  }
  assert.not.ok(loaded.has(path.join(repoRoot, "runtime", "native.ts")), "the compiler loads runtime/native.ts");
});

test("cli/ uses compiler/ and runtime/ only through their entries (index.ts)", () => {
  const entries = new Set(["compiler", "runtime"].map((folder) => path.join(repoRoot, folder, "index.ts")));
  const offending: string[] = [];
  for (const file of sourceFiles([layers[2]!])) {
    for (const target of valueImports(file)) {
      const layer = path.relative(repoRoot, target).split(path.sep)[0];
      if ((layer === "compiler" || layer === "runtime") && !entries.has(target))
        offending.push(`${path.relative(repoRoot, file)} → ${path.relative(repoRoot, target)}`);
    }
  }
  assert.equal(offending, []);
});

test("the scanner finds a cycle through value imports and ignores type-only ones", () => {
  const dir = path.join(repoRoot, "tmp", `import-cycles-${process.pid}`);
  const files = {
    "a.ts": 'import { b } from "./b.js";\nimport type { C } from "./c.js";\nexport const a = b;\n',
    "b.ts": 'import { a } from "./a.js";\nexport const b = 1;\nexport const c = () => a;\n',
    "c.ts": 'import { type A } from "./a.js";\nexport type C = A;\n',
  };
  fs.mkdirSync(dir, { recursive: true });
  try {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    assert.equal(importCycles(sourceFiles([dir]), dir), [["a.ts", "b.ts", "a.ts"]]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
