// The startup snapshot of `tsxdp build` and `check` (bin/tsxdp, cli/startup-snapshot.ts,
// bin/snapshot-builder.cjs): the command the user runs makes it after a first build, later
// builds start from it and write the same bytes as a plain build; a torn snapshot is never
// started, a stale one (tsxdp or TypeScript changed since) is not used and is replaced.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../lib/paths.js";

const launcher = path.join(repoRoot, "bin", "tsxdp");
const plainBin = path.join(repoRoot, "bin", "tsxdp.js");
const firewall = path.join(repoRoot, "examples", "firewall", "firewall.xdp.ts");
const rejected = path.join(repoRoot, "verifier-tests", "reject", "align-tag.xdp.ts");
const outputs = ["firewall.o", "firewall.skel.js", "firewall.skel.d.ts"];

const tempDir = (what: string) => fs.mkdtempSync(path.join(os.tmpdir(), `tsxdp-snapshot-${what}-`));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** How the command got TypeScript (TSXDP_STARTUP_REPORT): snapshot, loaded or stale-snapshot. */
  started: string;
  /** The whole line of that report. */
  report: string;
  files: Map<string, Buffer>;
}

function run(command: string[], env: Record<string, string | undefined>, out?: string): Run {
  const r = spawnSync(command[0]!, command.slice(1), {
    encoding: "utf8",
    cwd: repoRoot,
    env: { ...process.env, NODE_OPTIONS: undefined, TSXDP_STARTUP_REPORT: "1", ...env },
  });
  const report = /tsxdp: typescript .*/.exec(r.stderr)?.[0] ?? "";
  const started = /tsxdp: typescript (\S+)/.exec(r.stderr)?.[1] ?? "?";
  const written = out ? outputs.filter((name) => fs.existsSync(path.join(out, name))) : [];
  const files = new Map(written.map((name) => [name, fs.readFileSync(path.join(out!, name))]));
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^tsxdp: typescript .*\n/m, ""), started, report, files };
}

/** `tsxdp build` of the firewall through the launcher, into a fresh folder. */
function build(cache: string, env: Record<string, string | undefined> = {}): Run {
  const out = tempDir("out");
  try {
    return run([launcher, "build", firewall, "-o", out], { TSXDP_CACHE_DIR: cache, ...env }, out);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

function plainBuild(): Run {
  const out = tempDir("out");
  try {
    return run([process.execPath, plainBin, "build", firewall, "-o", out], { TSXDP_CACHE_DIR: "off" }, out);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

const blobs = (cache: string) => (fs.existsSync(cache) ? fs.readdirSync(cache).filter((f) => f.endsWith(".blob")) : []);

/** The snapshot the detached builder writes, once it is there and newer than `after` (bounded: 90 s). */
async function snapshotIn(cache: string, after = 0): Promise<string> {
  for (const until = Date.now() + 90_000; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
    const building = fs.readdirSync(cache).some((f) => f.endsWith(".lock"));
    const found = blobs(cache).filter((b) => fs.statSync(path.join(cache, b)).mtimeMs >= after);
    if (found.length === 1 && !building) return path.join(cache, found[0]!);
  }
  throw new Error(`no snapshot in ${cache} within 90 s: ${fs.readdirSync(cache).join(", ")}`);
}

function assertSameFiles(actual: Run, expected: Run, what: string): void {
  assert.is(actual.status, 0, `${what}: ${actual.stderr}`);
  for (const name of outputs)
    assert.ok(actual.files.get(name)!.equals(expected.files.get(name)!), `${name}: ${what} differs from a plain build`);
}

test("the first build makes a snapshot; later builds and checks start from it and give a plain build's bytes and diagnostics", async () => {
  const cache = tempDir("cache");
  try {
    const plain = plainBuild();
    const first = build(cache);
    assert.is(first.started, "loaded", first.stderr);
    assertSameFiles(first, plain, "the first build");
    const blob = await snapshotIn(cache);
    assert.ok(fs.statSync(blob).size > 10_000_000, "TypeScript and tsxdp's compiled code are in it");
    const second = build(cache);
    assert.is(second.started, "snapshot", second.stderr);
    assertSameFiles(second, plain, "a build from the snapshot");
    // What the snapshot's build found (LLVM) is not taken for this command's environment.
    const noLlvm = build(cache, { TSXDP_LLVM_DIR: "/nonexistent-llvm" });
    assert.is(noLlvm.started, "snapshot");
    assert.is(noLlvm.status, 2, noLlvm.stderr);
    assert.match(noLlvm.stderr, /LLVM/);
    const plainCheck = run([process.execPath, plainBin, "check", rejected], { TSXDP_CACHE_DIR: "off" });
    const snapshotCheck = run([launcher, "check", rejected], { TSXDP_CACHE_DIR: cache });
    assert.is(snapshotCheck.started, "snapshot");
    assert.is(snapshotCheck.status, 1);
    assert.match(snapshotCheck.stdout + snapshotCheck.stderr, /align-tag\.xdp\.ts:5:11 - error TSX2022/);
    assert.is(snapshotCheck.stdout, plainCheck.stdout);
    assert.is(snapshotCheck.stderr, plainCheck.stderr);
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

test("a torn snapshot is never started, a stale one is not used; both are replaced", async () => {
  const cache = tempDir("cache");
  // Any file the snapshot was made from: here one of the compiler's.
  const source = path.join(repoRoot, "dist", "compiler", "nesting.js");
  const original = fs.statSync(source);
  try {
    const plain = plainBuild();
    build(cache);
    const blob = await snapshotIn(cache);
    // A torn file (a crash while it was written): Node would crash on it before tsxdp runs.
    fs.truncateSync(blob, 1_000_000);
    const tornAt = Date.now();
    const overTorn = build(cache);
    assert.is(overTorn.started, "loaded", overTorn.stderr);
    assertSameFiles(overTorn, plain, "a build over a torn snapshot");
    const replaced = await snapshotIn(cache, tornAt);
    assert.is(fs.statSync(replaced).size, Number(/-(\d+)\.blob$/.exec(replaced)![1]), "the torn file was replaced by a whole one");
    assert.is(build(cache).started, "snapshot");

    fs.utimesSync(source, original.atime, new Date(original.mtimeMs + 2000));
    const staleAt = Date.now();
    const stale = build(cache);
    assert.is(stale.started, "stale-snapshot", stale.stderr);
    assert.match(stale.report, /changed: .*dist\/compiler\/nesting\.js/);
    assertSameFiles(stale, plain, "a build over a stale snapshot");
    await snapshotIn(cache, staleAt);
    assert.is(build(cache).started, "snapshot", "a new snapshot from the changed files");
    assert.ok(fs.existsSync(replaced), "the replaced snapshot stays a while: a command may have chosen it just before");
  } finally {
    fs.utimesSync(source, original.atime, original.mtime);
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

test("no snapshot with TSXDP_CACHE_DIR=off, under NODE_OPTIONS, or for other commands", () => {
  const cache = tempDir("cache");
  try {
    const off = build("off");
    assert.is(off.started, "loaded");
    const withOptions = build(cache, { NODE_OPTIONS: "--max-old-space-size=2048" });
    assert.is(withOptions.started, "loaded");
    assert.is(withOptions.status, 0, withOptions.stderr);
    const usage = run([launcher, "--help"], { TSXDP_CACHE_DIR: cache });
    assert.is(usage.status, 0);
    assert.match(usage.stdout, /^usage:/);
    assert.equal(blobs(cache), [], "nothing asked for a snapshot");
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

test("a check that finds errors (exit 1) leaves a snapshot too, made from the rejected file, which then serves builds", async () => {
  const cache = tempDir("cache");
  try {
    const first = run([launcher, "check", rejected], { TSXDP_CACHE_DIR: cache });
    assert.is(first.status, 1);
    await snapshotIn(cache);
    const next = build(cache);
    assert.is(next.started, "snapshot");
    assertSameFiles(next, plainBuild(), "a build from a snapshot made on a rejected file");
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

test("the cache keeps four folders' snapshots, and a replaced one for ten minutes", async () => {
  const cache = tempDir("cache");
  try {
    build(cache);
    const key = /(snapshot-\d+)-/.exec(path.basename(await snapshotIn(cache)))![1]!;
    fs.rmSync(path.join(cache, blobs(cache)[0]!));
    // Torn files (a size other than their name's) of other folders, made 1 … 5 hours ago,
    // and two of this folder's, made an hour and a minute ago.
    const fake = (name: string, ageMs: number) => {
      fs.writeFileSync(path.join(cache, name), "not 4 bytes");
      fs.utimesSync(path.join(cache, name), new Date(), new Date(Date.now() - ageMs));
      return name;
    };
    const others = [1, 2, 3, 4, 5].map((hours) => fake(`snapshot-${hours}-${String(hours).padStart(13, "0")}-4.blob`, hours * 3_600_000));
    fake(`${key}-0000000000001-4.blob`, 3_600_000);
    const recent = fake(`${key}-0000000000002-4.blob`, 60_000);
    const start = Date.now();
    assert.is(build(cache).started, "loaded", "torn files are never started");
    const made = path.basename(await snapshotIn(cache, start));
    assert.equal(blobs(cache).sort(), [made, recent, ...others.slice(0, 3)].sort());
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

test.run();
