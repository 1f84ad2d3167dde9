// Type-level tests of generated skeletons: a real skeleton is built from
// test/fixtures/skeleton-types/types.xdp.ts, then `tsc --noEmit` must accept good.ts and
// reject misuse.ts with exactly the TypeScript errors marked on its lines
// (`// @expect TS2322`). Renaming a field in the .xdp.ts source must break good.ts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { compile, formatDiagnostic } from "../../compiler/index.js";
import { repoRoot } from "../lib/paths.js";
import { requireKernel } from "../lib/kernel-env.js";
import { XDP } from "../../runtime/index.js";

const fixtures = path.join(repoRoot, "test", "fixtures", "skeleton-types");
const tscBin = path.join(repoRoot, "node_modules", "typescript", "bin", "tsc");
const made: string[] = [];
test.after(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * A copy of the fixtures under the repository's tmp/ (so `tsxdp/runtime` resolves to this
 * checkout by the package's own name), with the skeleton built from `source`.
 */
async function project(source = fs.readFileSync(path.join(fixtures, "types.xdp.ts"), "utf8")): Promise<string> {
  fs.mkdirSync(path.join(repoRoot, "tmp"), { recursive: true });
  const dir = fs.mkdtempSync(path.join(repoRoot, "tmp", "skeleton-types-"));
  made.push(dir);
  for (const f of ["good.ts", "misuse.ts"]) fs.copyFileSync(path.join(fixtures, f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, "types.xdp.ts"), source);
  const result = await compile({ files: [path.join(dir, "types.xdp.ts")] });
  assert.equal(
    result.diagnostics.map((d) => formatDiagnostic(d)),
    [],
  );
  assert.ok(fs.existsSync(path.join(dir, "types.skel.d.ts")));
  return dir;
}

/** tsc --noEmit on one file of `dir`: its `file(line,col): error TSnnnn` lines. */
function typeCheck(
  dir: string,
  file: string,
): { status: number | null; errors: { line: number; code: string; text: string }[]; output: string } {
  const config = {
    compilerOptions: {
      target: "ES2022",
      lib: ["ES2023", "ESNext.Disposable"],
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ["node"],
    },
    files: [file],
  };
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(config));
  const r = spawnSync(process.execPath, [tscBin, "-p", "tsconfig.json"], { cwd: dir, encoding: "utf8" });
  const output = `${r.stdout}${r.stderr}`;
  const errors = [...output.matchAll(/^(\S+)\((\d+),\d+\): error (TS\d+): (.*)$/gm)].map((m) => ({
    file: m[1]!,
    line: Number(m[2]),
    code: m[3]!,
    text: m[4]!,
  }));
  return { status: r.status, errors: errors.map(({ line, code, text }) => ({ line, code, text })), output };
}

/** `TSnnnn@line` for every `// @expect TSnnnn …` mark in a file. */
function marks(file: string): string[] {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .flatMap((line, i) => {
      const m = /\/\/ @expect ((?:TS\d+\s*)+)$/.exec(line);
      return m
        ? m[1]!
            .trim()
            .split(/\s+/)
            .map((code) => `${code}@${i + 1}`)
        : [];
    })
    .sort();
}

test("a correct use of a generated skeleton type-checks", async () => {
  const dir = await project();
  const r = typeCheck(dir, "good.ts");
  assert.is(r.status, 0, r.output);
});

test("misuses of a generated skeleton fail with the marked TypeScript errors", async () => {
  const dir = await project();
  const r = typeCheck(dir, "misuse.ts");
  assert.is(r.status, 2, r.output);
  const expected = marks(path.join(fixtures, "misuse.ts"));
  assert.ok(expected.length >= 10, "the fixture marks its misuses");
  assert.equal(r.errors.map((e) => `${e.code}@${e.line}`).sort(), expected, r.output);
  // The messages name the source's types and fields, not `unknown` or `any`.
  const text = r.errors.map((e) => e.text).join("\n");
  assert.match(text, /'prot' does not exist in type 'FlowKey'/);
  assert.match(text, /Property 'packetz' does not exist on type 'Flow'\. Did you mean 'packets'\?/);
  assert.match(text, /Type 'number' is not assignable to type 'bigint'/);
  assert.match(text, /Cannot assign to 'maxLen' because it is a read-only property/);
  assert.match(text, /Property 'port' is missing .* 'Limits'/);
  assert.match(text, /Type '5' is not assignable to type 'Verdict'/);
  assert.match(text, /Type 'Proto\.Tcp' is not assignable to type 'Verdict'/);
  assert.match(text, /Type '9' is not assignable to type 'XDP'/);
  assert.match(text, /types 'Proto \| undefined' and 'Verdict' have no overlap/);
  assert.match(text, /'Proto\.Udp' is not assignable to parameter of type 'Verdict'/);
  assert.match(text, /Type 'XDP\.DROP' is not assignable to type 'Verdict'/);
});

test("fields declared with an exported const enum (or XDP) are typed with it; other enums stay number", async () => {
  const dir = await project();
  const dts = fs.readFileSync(path.join(dir, "types.skel.d.ts"), "utf8");
  assert.match(dts, /^import type \{ [^}]*\bXDP\b[^}]* \} from "tsxdp\/runtime";$/m);
  assert.match(dts, /export declare enum Verdict \{\n  Pass = 0,\n  Drop = 1,\n  Watch = 7,\n\}/);
  assert.match(dts, /export declare enum Proto \{\n  Tcp = 6,\n  Udp = 17,\n\}/);
  assert.not.match(dts, /\bHidden\b/, "an enum the program does not export is not named");
  // Struct fields (arrays of them too), ring records, map keys, config and globals.
  assert.match(
    dts,
    /export interface Rule \{\n  verdict: Verdict;\n  proto: Proto;\n  action: XDP;\n  history: Verdict\[\];\n  hidden: number;\n\}/,
  );
  assert.match(dts, /export interface Event \{\n(?:  .*\n)*  verdict: Verdict;\n\}/);
  assert.match(dts, /readonly rules: TypedMap<number, Rule>;/);
  assert.match(dts, /readonly byVerdict: TypedMap<Verdict, bigint>;/);
  assert.match(dts, /export interface TypesConfig \{\n(?:  .*\n)*  DEFAULT_VERDICT: Verdict;\n\}/);
  assert.match(dts, /export interface TypesGlobals \{\n(?:  .*\n)*  lastVerdict: Verdict;\n\}/);
  // The values are numbers on both backends: an enum key, a config and a global of an enum
  // type are described in BTF as that enum (which the kernel and the VM accept).
  const { Types, Verdict } = (await import(pathToFileURL(path.join(dir, "types.skel.js")).href)) as Record<string, any>;
  for (const backend of ["vm", "kernel"]) {
    if (backend === "kernel" && !requireKernel("BTF enum map keys and variables")) continue;
    await using skel = await Types.open({ backend });
    skel.config.DEFAULT_VERDICT = Verdict.Watch;
    await skel.load();
    skel.maps.rules.set(0, { verdict: Verdict.Drop, proto: 6, action: XDP.TX, history: [0, 7], hidden: 1 });
    skel.maps.byVerdict.set(Verdict.Drop, 0n);
    const r = skel.programs.typesProgram.run(new Uint8Array(64));
    assert.is(r.action, XDP.TX, backend);
    assert.is(skel.maps.byVerdict.get(Verdict.Drop), 1n, backend);
    assert.equal([...skel.maps.byVerdict.keys()], [1], backend);
    assert.is(skel.globals.lastVerdict, 1, backend);
    assert.equal(skel.maps.rules.get(0).history, [0, 7], backend);
    assert.is(skel.maps.events.drain()[0]?.verdict, Verdict.Watch, backend);
  }
});

test("renaming a field in the .xdp.ts source breaks the Node code that uses it", async () => {
  const source = fs.readFileSync(path.join(fixtures, "types.xdp.ts"), "utf8");
  const renamed = source.replace("export interface Flow { packets: u64;", "export interface Flow { pkts: u64;");
  assert.not.equal(renamed, source);
  const dir = await project(renamed);
  assert.match(fs.readFileSync(path.join(dir, "types.skel.d.ts"), "utf8"), /pkts: bigint;/);
  const r = typeCheck(dir, "good.ts");
  assert.is(r.status, 2, r.output);
  const good = fs.readFileSync(path.join(fixtures, "good.ts"), "utf8").split("\n");
  const lineOf = (needle: string) => good.findIndex((l) => l.includes(needle)) + 1;
  assert.equal(
    r.errors.map((e) => `${e.code}@${e.line}`).sort(),
    [`TS2353@${lineOf("const flow: Flow = { packets: 1n")}`, `TS2339@${lineOf("got?.packets")}`].sort(),
    r.output,
  );
  assert.match(r.output, /'packets' does not exist in type 'Flow'/);
});

test.run();
