// The `tsxdp` command line: outputs, exit codes and diagnostics format.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import elfy from "elfy";
import { repoRoot } from "../lib/paths.js";

const bin = path.join(repoRoot, "bin", "tsxdp.js");
const firewall = path.join(repoRoot, "examples", "firewall", "firewall.xdp.ts");

function tsxdp(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env, cwd: repoRoot });
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-cli-"));
}

test("build writes NAME.o with the sections loaders need", () => {
  const out = tempDir();
  const r = tsxdp(["build", firewall, "-o", out]);
  assert.is(r.status, 0, r.stderr);
  const elf = elfy.parse(fs.readFileSync(path.join(out, "firewall.o")));
  const names = new Set<string>(elf.body.sections.map((s: { name: string }) => s.name));
  for (const section of ["xdp", ".maps", "license", ".BTF", ".BTF.ext"]) assert.ok(names.has(section), `missing ${section}`);
  assert.match(r.stdout, /1 program \(firewall\), 2 maps/);
});

test("build writes the skeleton beside the object, and --no-skeleton writes none", () => {
  const out = tempDir();
  assert.is(tsxdp(["build", firewall, "-o", out]).status, 0);
  assert.equal(fs.readdirSync(out).sort(), ["firewall.o", "firewall.skel.d.ts", "firewall.skel.js"]);
  assert.match(fs.readFileSync(path.join(out, "firewall.skel.d.ts"), "utf8"), /export declare class Firewall/);
  const bare = tempDir();
  const r = tsxdp(["build", firewall, "-o", bare, "--no-skeleton"]);
  assert.is(r.status, 0, r.stderr);
  assert.equal(fs.readdirSync(bare), ["firewall.o"], "only the object");
  assert.match(r.stdout, /1 program \(firewall\), 2 maps/);
});

test("build --emit-llvm also writes the IR", () => {
  const out = tempDir();
  assert.is(tsxdp(["build", firewall, "-o", out, "--emit-llvm"]).status, 0);
  assert.match(fs.readFileSync(path.join(out, "firewall.ll"), "utf8"), /section "xdp"/);
});

test("check reports diagnostics in tsc's format and exits 1", () => {
  const dir = tempDir();
  const file = path.join(dir, "narrow.xdp.ts");
  fs.writeFileSync(
    file,
    [
      `import { XdpContext, XDP, u8, u32 } from "tsxdp";`,
      `export function p(ctx: XdpContext): XDP {`,
      `  const a: u32 = ctx.len;`,
      `  const b: u8 = a + 1;`,
      `  return b === 0 ? XDP.DROP : XDP.PASS;`,
      `}`,
    ].join("\n"),
  );
  const r = tsxdp(["check", file]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /narrow\.xdp\.ts:4:17 - error TSX2001: Cannot convert 'u32' to 'u8' implicitly/);
  assert.match(r.stderr, /hint: Convert explicitly with u8/);
});

test("usage errors exit 2 with a one-line reason", () => {
  const r = tsxdp(["build"]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /no input files/);
  const missing = tsxdp(["build", "/nonexistent.xdp.ts"]);
  assert.is(missing.status, 2);
  assert.match(missing.stderr, /cannot read '\/nonexistent\.xdp\.ts'/);
  assert.is(tsxdp(["frobnicate"]).status, 2);
  for (const command of ["build", "check"]) {
    const unknown = tsxdp([command, "--bogus", firewall]);
    assert.is(unknown.status, 2, command);
    assert.match(unknown.stderr, new RegExp(`^tsxdp ${command}: Unknown option '--bogus'`));
    assert.not.match(unknown.stderr, /internal error|\n\s+at /);
  }
});

test("an -o that cannot hold outputs is a usage error: exit 2, one line, no internal error", () => {
  const dir = tempDir();
  const file = path.join(dir, "file");
  fs.writeFileSync(file, "");
  for (const out of [file, "", "/dev/null", "/proc/tsxdp-out"]) {
    // A timeout: Node's recursive mkdir looped forever under /proc.
    const r = spawnSync(process.execPath, [bin, "build", firewall, "-o", out], { encoding: "utf8", cwd: repoRoot, timeout: 60_000 });
    assert.is(r.status, 2, `-o '${out}': ${r.stderr}`);
    assert.match(r.stderr, /^tsxdp build: Cannot write the output '[^']*': [^\n]+\.\n$/, `-o '${out}'`);
  }
  assert.is(fs.readFileSync(file, "utf8"), "", "the file named by -o is untouched");
});

test("two inputs that would write one output name are a usage error, and nothing is written", () => {
  const dir = tempDir();
  const source = fs.readFileSync(firewall, "utf8");
  for (const sub of ["c1", "c2"]) {
    fs.mkdirSync(path.join(dir, sub));
    fs.writeFileSync(path.join(dir, sub, "same.xdp.ts"), source);
  }
  const out = path.join(dir, "out");
  const r = tsxdp(["build", path.join(dir, "c1/same.xdp.ts"), path.join(dir, "c2/same.xdp.ts"), "-o", out]);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /^tsxdp build: '.*c1\/same\.xdp\.ts' and '.*c2\/same\.xdp\.ts' would both be written as '.*same\.o'\.\n$/);
  assert.equal(fs.existsSync(out) ? fs.readdirSync(out) : [], [], "no output written");
  fs.writeFileSync(path.join(dir, "x.xdp.ts"), source);
  fs.writeFileSync(path.join(dir, "x.ts"), source);
  const beside = tsxdp(["build", path.join(dir, "x.xdp.ts"), path.join(dir, "x.ts")]);
  assert.is(beside.status, 2, beside.stderr);
  assert.not.ok(fs.existsSync(path.join(dir, "x.o")), "no output written");
});

test("outputs replace a symlink at their path instead of writing through it", () => {
  const dir = tempDir();
  const victim = path.join(dir, "victim");
  fs.writeFileSync(victim, "precious");
  const out = path.join(dir, "out");
  fs.mkdirSync(out);
  for (const name of ["firewall.o", "firewall.skel.js", "firewall.skel.d.ts", "firewall.ll"]) fs.symlinkSync(victim, path.join(out, name));
  const r = tsxdp(["build", firewall, "-o", out, "--emit-llvm"]);
  assert.is(r.status, 0, r.stderr);
  assert.is(fs.readFileSync(victim, "utf8"), "precious");
  for (const name of ["firewall.o", "firewall.skel.js", "firewall.skel.d.ts", "firewall.ll"])
    assert.ok(fs.lstatSync(path.join(out, name)).isFile(), `${name} is a file of its own`);
  assert.equal(
    fs.readdirSync(out).sort(),
    ["firewall.ll", "firewall.o", "firewall.skel.d.ts", "firewall.skel.js"],
    "no temporary file left behind",
  );
});

test("a missing LLVM is an environment error (exit 2) that says what to install", () => {
  const r = tsxdp(["build", firewall, "-o", tempDir()], { ...process.env, TSXDP_LLVM_DIR: "/nonexistent" });
  assert.is(r.status, 2);
  assert.match(r.stderr, /TSX5001.*'opt' and 'llc'/);
  assert.match(r.stderr, /apt-get install llvm/);
});

test("LLVM failing in opt, in llc, or dying before it reads the IR is TSX5002 with LLVM's words, and no object", () => {
  const realOpt = fs.realpathSync("/usr/bin/opt");
  const realLlc = fs.realpathSync("/usr/bin/llc");
  const behaviours: [string, string, string, RegExp][] = [
    ["opt reports an error", `cat >/dev/null; echo "opt: bad IR at line 3" >&2; exit 1`, `exec ${realLlc} "$@"`, /opt: bad IR at line 3/],
    ["llc reports an error", `exec ${realOpt} "$@"`, `cat >/dev/null; echo "llc: no BPF target" >&2; exit 1`, /llc: no BPF target/],
    ["opt dies without reading", `echo "opt: killed early" >&2; exit 3`, `exec ${realLlc} "$@"`, /opt: killed early/],
    ["opt is killed by a signal", `kill -9 $$`, `exec ${realLlc} "$@"`, /opt was killed by SIGKILL/],
  ];
  for (const [what, opt, llc, said] of behaviours) {
    const llvm = tempDir();
    const out = tempDir();
    // `llc --version` tells the LLVM version when the path does not.
    const script = (body: string) => `#!/bin/sh\nif [ "$1" = --version ]; then echo "LLVM version 14.0.6"; exit 0; fi\n${body}\n`;
    fs.writeFileSync(path.join(llvm, "opt"), script(opt), { mode: 0o755 });
    fs.writeFileSync(path.join(llvm, "llc"), script(llc), { mode: 0o755 });
    const r = tsxdp(["build", firewall, "-o", out], { ...process.env, TSXDP_LLVM_DIR: llvm });
    assert.is.not(r.status, 0, `${what}: ${r.stdout}`);
    assert.match(r.stderr, /error TSX5002: LLVM failed on the generated IR/, what);
    assert.match(r.stderr, said, `${what}: ${r.stderr}`);
    assert.equal(fs.readdirSync(out), [], `${what}: nothing written`);
    fs.rmSync(llvm, { recursive: true, force: true });
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test.run();
