// The diagnostics table (compiler/diagnostics.ts): every code is unique, in the band its
// name says nothing about but its number does, never a retired one, and actually reported
// somewhere in the compiler or the CLI (a declared code nothing emits was issue 10 item 30).
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import { Diagnostics, retiredCodes } from "../../compiler/diagnostics.js";
import { repoRoot } from "../lib/paths.js";

function sources(folder: string): string[] {
  return fs.readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const at = path.join(folder, entry.name);
    if (entry.isDirectory()) return sources(at);
    return entry.name.endsWith(".ts") && entry.name !== "diagnostics.ts" ? [fs.readFileSync(at, "utf8")] : [];
  });
}

test("codes are unique, in a band, and none is retired", () => {
  const codes = Object.values(Diagnostics).map((d) => d.code);
  assert.equal(codes.length, new Set(codes).size, "a code is used twice");
  for (const code of codes) {
    assert.ok([1, 2, 3, 4, 5, 9].includes(Math.floor(code / 1000)), `${code} is outside the bands`);
    assert.not.ok(code in retiredCodes, `${code} is retired: ${retiredCodes[code]}`);
  }
});

test("every diagnostic in the table is reported somewhere", () => {
  const text = [...sources(path.join(repoRoot, "compiler")), ...sources(path.join(repoRoot, "cli"))].join("\n");
  const unused = Object.keys(Diagnostics).filter((name) => !new RegExp(`Diagnostics\\.${name}\\b`).test(text));
  assert.equal(unused, [], "declared but never reported: emit them where they belong or retire them (retiredCodes)");
});

test.run();
