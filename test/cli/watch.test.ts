// `tsxdp build --watch` and `tsxdp check --watch` with real file edits: a change to a helper
// rebuilds the program importing it and not the other one; a syntax error is printed and the
// process keeps watching; a deleted program is reported and rebuilt when it comes back.
// Every wait is bounded; the watcher is stopped with SIGTERM.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../lib/paths.js";

const bin = path.join(repoRoot, "bin", "tsxdp.js");

/** A running `tsxdp … --watch`: waits for output after a mark, up to a time limit. */
function watcher(args: string[], cwd: string) {
  const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let mark = 0;
  child.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
  child.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
  const since = () => output.slice(mark);
  return {
    child,
    /** Output since the last `next()`. */
    since,
    next() {
      mark = output.length;
    },
    async waitFor(pattern: RegExp, ms = 30_000): Promise<string> {
      const until = Date.now() + ms;
      while (!pattern.test(since())) {
        if (Date.now() > until || child.exitCode !== null)
          throw new Error(`no ${pattern} within ${ms} ms (exit ${child.exitCode}); output since the mark:\n${since()}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return since();
    },
  };
}

const write = (file: string, lines: string[]) => fs.writeFileSync(file, lines.join("\n") + "\n");

function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-watch-"));
  write(path.join(dir, "shared.xdp.ts"), [
    `import { u32 } from "tsxdp";`,
    `export function isShort(len: u32): boolean { return len < 64; }`,
  ]);
  write(path.join(dir, "a.xdp.ts"), [
    `import { XdpContext, XDP } from "tsxdp";`,
    `import { isShort } from "./shared.xdp.ts";`,
    `export function a(ctx: XdpContext): XDP { return isShort(ctx.len) ? XDP.DROP : XDP.PASS; }`,
  ]);
  write(path.join(dir, "b.xdp.ts"), [
    `import { XdpContext, XDP } from "tsxdp";`,
    `export function b(ctx: XdpContext): XDP { return XDP.PASS; }`,
  ]);
  return dir;
}

test("build --watch rebuilds what a change affects, survives a syntax error and a deleted file", async () => {
  const dir = project();
  const w = watcher(["build", "--watch", "a.xdp.ts", "b.xdp.ts", "-o", "out"], dir);
  try {
    await w.waitFor(/built a\.xdp\.ts, b\.xdp\.ts in \d+ ms; watching for changes/);
    assert.ok(fs.existsSync(path.join(dir, "out", "a.skel.js")) && fs.existsSync(path.join(dir, "out", "b.o")));

    w.next();
    write(path.join(dir, "shared.xdp.ts"), [
      `import { u32 } from "tsxdp";`,
      `export function isShort(len: u32): boolean { return len < 128; }`,
    ]);
    const helperEdit = await w.waitFor(/rebuilt .* watching for changes/);
    assert.match(helperEdit, /out\/a\.o: 1 program \(a\)/);
    assert.match(helperEdit, /rebuilt a\.xdp\.ts in/);
    assert.not.match(helperEdit, /b\.o|b\.xdp\.ts/, "b does not import the helper");

    w.next();
    fs.writeFileSync(
      path.join(dir, "a.xdp.ts"),
      `import { XdpContext, XDP } from "tsxdp";\nexport function a(ctx: XdpContext): XDP { return XDP.PASS\n`,
    );
    const broken = await w.waitFor(/watching for changes/);
    assert.match(broken, /a\.xdp\.ts:\d+:\d+ - error TS1005: '}' expected/);

    w.next();
    write(path.join(dir, "a.xdp.ts"), [
      `import { XdpContext, XDP } from "tsxdp";`,
      `export function a(ctx: XdpContext): XDP { return XDP.TX; }`,
    ]);
    assert.match(await w.waitFor(/watching for changes/), /out\/a\.o: 1 program \(a\)/, "the fixed file builds again");

    w.next();
    fs.rmSync(path.join(dir, "b.xdp.ts"));
    assert.match(await w.waitFor(/watching for changes/), /b\.xdp\.ts: no such file \(waiting for it to come back\)/);
    w.next();
    write(path.join(dir, "b.xdp.ts"), [
      `import { XdpContext, XDP } from "tsxdp";`,
      `export function b(ctx: XdpContext): XDP { return XDP.DROP; }`,
    ]);
    assert.match(await w.waitFor(/rebuilt b\.xdp\.ts/), /out\/b\.o: 1 program \(b\)/);
    assert.is(w.child.exitCode, null, "still running");
  } finally {
    w.child.kill("SIGTERM");
    await new Promise((r) => (w.child.exitCode !== null ? r(undefined) : w.child.once("exit", r)));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("check --watch prints diagnostics as files change", async () => {
  const dir = project();
  const w = watcher(["check", "--watch", "a.xdp.ts"], dir);
  try {
    await w.waitFor(/built a\.xdp\.ts in \d+ ms; watching/);
    w.next();
    write(path.join(dir, "shared.xdp.ts"), [
      `import { u32 } from "tsxdp";`,
      `export function isShort(len: u32): boolean { let i = 0; while (i < len) i++; return len < 64; }`,
    ]);
    assert.match(await w.waitFor(/watching for changes/), /shared\.xdp\.ts:2:\d+ - error TSX3001/);
  } finally {
    w.child.kill("SIGTERM");
    await new Promise((r) => (w.child.exitCode !== null ? r(undefined) : w.child.once("exit", r)));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
