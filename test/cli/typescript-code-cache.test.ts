// The CLI's V8 code cache for TypeScript (cli/typescript-code-cache.ts): the cached and the
// plain compile build the same bytes, and a cache that is stale or corrupt is ignored and
// replaced, never trusted.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../lib/paths.js";

const bin = path.join(repoRoot, "bin", "tsxdp.js");
const firewall = path.join(repoRoot, "examples", "firewall", "firewall.xdp.ts");
const outputs = ["firewall.o", "firewall.skel.js", "firewall.skel.d.ts"];

const tempDir = (what: string) => fs.mkdtempSync(path.join(os.tmpdir(), `tsxdp-code-cache-${what}-`));

/** Builds the firewall with TSXDP_CACHE_DIR=`cacheDir`; the bytes of what it wrote. */
function build(cacheDir: string): Map<string, Buffer> {
  const out = tempDir("out");
  try {
    const r = spawnSync(process.execPath, [bin, "build", firewall, "-o", out], {
      encoding: "utf8",
      cwd: repoRoot,
      env: { ...process.env, TSXDP_CACHE_DIR: cacheDir },
    });
    assert.is(r.status, 0, r.stderr);
    return new Map(outputs.map((name) => [name, fs.readFileSync(path.join(out, name))]));
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

function cacheFile(cacheDir: string): string {
  const files = fs.readdirSync(cacheDir).filter((f) => f.endsWith(".v8cache"));
  assert.is(files.length, 1, `one cache file in ${cacheDir}: ${files.join(", ")}`);
  return path.join(cacheDir, files[0]!);
}

function assertSameOutputs(actual: Map<string, Buffer>, expected: Map<string, Buffer>, what: string): void {
  for (const name of outputs) assert.ok(actual.get(name)!.equals(expected.get(name)!), `${name}: ${what} differs from the plain compile`);
}

test("a build with the code cache writes the same object and skeleton as one without", () => {
  const cacheDir = tempDir("dir");
  try {
    const plain = build("off");
    const filling = build(cacheDir);
    const file = cacheFile(cacheDir);
    const written = fs.statSync(file);
    assert.ok(written.size > 100_000, `V8's code for TypeScript is in the cache (${written.size} bytes)`);
    const cached = build(cacheDir);
    assert.is(fs.statSync(file).mtimeMs, written.mtimeMs, "a valid cache is used, not rewritten");
    assertSameOutputs(filling, plain, "the run that fills the cache");
    assertSameOutputs(cached, plain, "the cached run");
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
});

test("a corrupt, truncated or stale cache is ignored and replaced", () => {
  const cacheDir = tempDir("dir");
  try {
    const plain = build("off");
    build(cacheDir);
    const file = cacheFile(cacheDir);
    const good = fs.readFileSync(file);
    // Magic and key lines, then the digest line, then V8's data.
    const keyEnd = good.indexOf("\n", good.indexOf("\n") + 1) + 1;
    const headerEnd = good.indexOf("\n", keyEnd) + 1;
    const flipped = Buffer.from(good);
    for (let i = headerEnd + 64; i < flipped.length; i += 4096) flipped[i]! ^= 0xff;
    const stale = Buffer.concat([
      Buffer.from(
        good
          .subarray(0, headerEnd)
          .toString("utf8")
          .replace(/"size":\d+/, `"size":1`),
      ),
      good.subarray(headerEnd),
    ]);
    const damaged: [string, Buffer][] = [
      ["flipped bytes in V8's data", flipped],
      ["truncated", good.subarray(0, good.length >> 1)],
      ["a key for another typescript.js", stale],
      ["not a cache at all", Buffer.from("garbage\n")],
    ];
    for (const [what, bytes] of damaged) {
      fs.writeFileSync(file, bytes);
      assertSameOutputs(build(cacheDir), plain, `a build over a cache with ${what}`);
      const replaced = fs.readFileSync(file);
      assert.ok(!replaced.equals(bytes), `${what}: rewritten`);
      assert.ok(replaced.subarray(0, keyEnd).equals(good.subarray(0, keyEnd)), `${what}: replaced by a cache for this Node and TypeScript`);
    }
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
});

test.run();
