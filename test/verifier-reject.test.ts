// verifier-tests/reject: every program there must be rejected with exactly the diagnostics
// marked on its lines (`// @expect TSX2003`, or `// @expect TS18047` for TypeScript's own),
// and never with an internal error. An unmarked diagnostic fails; a mark that never fires
// fails. Adding a case is adding a file.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import { check, formatDiagnostic } from "../compiler/index.js";
import { repoRoot } from "./lib/paths.js";

const dir = path.join(repoRoot, "verifier-tests", "reject");
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith(".xdp.ts"))
  .sort();

function expectations(file: string): string[] {
  const marks: string[] = [];
  fs.readFileSync(file, "utf8")
    .split("\n")
    .forEach((line, i) => {
      // `// @expect TSX1008 TS2583`: one or more codes expected on this line
      const mark = /@expect((?:\s+TSX?\d+)+)/.exec(line);
      for (const code of mark?.[1]!.trim().split(/\s+/) ?? []) marks.push(`${code}@${i + 1}`);
    });
  return marks.sort();
}

test("there are reject fixtures", () => {
  assert.ok(files.length >= 40, `only ${files.length} files in verifier-tests/reject`);
});

for (const name of files) {
  test(`reject/${name}`, async () => {
    const file = path.join(dir, name);
    const expected = expectations(file);
    assert.ok(expected.length > 0, `${name} has no // @expect mark`);
    const { diagnostics } = await check({ files: [file] });
    const internal = diagnostics.find((d) => d.prefix === "TSX" && d.code === 9001);
    assert.not.ok(internal, internal && formatDiagnostic(internal));
    const actual = [
      ...new Set(diagnostics.filter((d) => d.file && path.resolve(d.file.fileName) === file).map((d) => `${d.prefix}${d.code}@${d.line}`)),
    ].sort();
    const elsewhere = diagnostics.filter((d) => !d.file || path.resolve(d.file.fileName) !== file);
    assert.equal(
      elsewhere.map((d) => formatDiagnostic(d)),
      [],
      "diagnostics outside the fixture",
    );
    assert.equal(actual, [...new Set(expected)], diagnostics.map((d) => formatDiagnostic(d)).join("\n"));
  });
}

test.run();
