// The editor and `tsxdp check` see the same program: the stdlib's typings are complete under
// `noLib` (tsc over tsconfig.xdp.json is clean, so config<T>() views are typed), and `check`
// prints its diagnostics in reading order whatever pass found them.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { check, Diagnostics } from "../../compiler/index.js";
import { repoRoot } from "../lib/paths.js";

const tscBin = path.join(repoRoot, "node_modules", "typescript", "bin", "tsc");
const tsc = (args: string[], cwd = repoRoot) => spawnSync(process.execPath, [tscBin, ...args], { cwd, encoding: "utf8" });

function tempProgram(name: string, lines: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-editor-"));
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

test("tsc --noEmit -p tsconfig.xdp.json is clean: stdlib, examples and pass fixtures type-check under noLib", () => {
  const r = tsc(["--noEmit", "-p", "tsconfig.xdp.json"]);
  assert.is(r.stdout + r.stderr, "");
  assert.is(r.status, 0);
});

test("a config<T>() view is typed in the editor: a misspelt field and a write are TypeScript errors", () => {
  const file = tempProgram("cfg.xdp.ts", [
    `import { XdpContext, XDP, config, u16 } from "tsxdp";`,
    `interface Limits { maxLen: u16; }`,
    `export const limits = config<Limits>({ maxLen: 1500 });`,
    `export function gate(ctx: XdpContext): XDP {`,
    `  if (ctx.len > limits.maxLne) return XDP.DROP;`,
    `  limits.maxLen = 9;`,
    `  return XDP.PASS;`,
    `}`,
  ]);
  const dir = path.dirname(file);
  fs.writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({
      extends: path.join(repoRoot, "tsconfig.xdp.json"),
      files: [path.join(repoRoot, "stdlib", "lib.xdp.d.ts"), file],
      include: [],
    }),
  );
  const r = tsc(["--noEmit", "-p", "tsconfig.json"], dir);
  assert.match(r.stdout, /cfg\.xdp\.ts\(5,\d+\): error TS2551: Property 'maxLne' does not exist/);
  assert.match(r.stdout, /cfg\.xdp\.ts\(6,10\): error TS2540: Cannot assign to 'maxLen' because it is a read-only property/);
  assert.not.match(r.stdout, /Cannot find name/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("check orders diagnostics by file and position, TypeScript's and tsxdp's interleaved", async () => {
  const file = tempProgram("order.xdp.ts", [
    `import { XdpContext, XDP, u32 } from "tsxdp";`,
    `async function later(): Promise<u32> { return 1; }`,
    `export function order(ctx: XdpContext): XDP {`,
    `  const s = "text";`,
    `  console.log(1);`,
    `  return XDP.PASS;`,
    `}`,
  ]);
  const { diagnostics } = await check({ files: [file] });
  const places = diagnostics.map((d) => `${d.prefix}${d.code}@${d.line}:${d.file!.getLineAndCharacterOfPosition(d.start!).character + 1}`);
  const positions = diagnostics.map((d) => d.start!);
  assert.equal(
    positions,
    [...positions].sort((a, b) => a - b),
    places.join(" "),
  );
  assert.ok(places.indexOf("TSX1008@2:16") >= 0 && places.indexOf("TSX1008@2:16") < places.indexOf("TS2583@2:25"), places.join(" "));
  assert.ok(places.indexOf("TSX1002@4:13") < places.findIndex((p) => p.startsWith("TS2584@5")), places.join(" "));
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
});

test("TypeScript's lib advice for console.log and Math.min comes with TSX1025 saying what a program writes instead", async () => {
  const { diagnostics } = await check({ files: [path.join(repoRoot, "verifier-tests", "reject", "console-log.xdp.ts")] });
  const hints = Object.fromEntries(diagnostics.filter((d) => d.code === 1025).map((d) => [d.line, d.hint]));
  assert.match(hints[5] ?? "", /a < b \? a : b/);
  assert.match(hints[6] ?? "", /log\.info\(/);
});

test("every diagnostic code is used once (a number is never shared or reused)", () => {
  const codes = Object.entries(Diagnostics).map(([name, d]) => [name, d.code] as const);
  const seen = new Map<number, string>();
  for (const [name, code] of codes) {
    assert.not.ok(seen.has(code), `TSX${code} is both ${seen.get(code)} and ${name}`);
    seen.set(code, name);
  }
});

test.run();
