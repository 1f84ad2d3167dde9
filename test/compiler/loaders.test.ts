// The objects tsxdp writes are standard: bpftool, `ip link … xdp obj` and xdp-loader load
// them without a warning (BTF-defined maps, named BTF parameters, license).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compile } from "../../compiler/index.js";
import { repoRoot } from "../lib/paths.js";
import { requireKernel } from "../lib/kernel-env.js";
import { withVethNamespace } from "../lib/netns.js";

// Built once, on first use (uvu swallows errors thrown in before hooks).
let built: Promise<string> | undefined;
async function firewallObject(): Promise<string> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-loaders-"));
  const result = await compile({ files: [path.join(repoRoot, "examples/firewall/firewall.xdp.ts")], outDir: out });
  assert.equal(result.diagnostics, []);
  return result.objects[0]!.object;
}

test("bpftool prog load: no warnings", async () => {
  if (!requireKernel("BPF_PROG_LOAD")) return;
  const object = await (built ??= firewallObject());
  const pin = `/sys/fs/bpf/tsxdp-test-${process.pid}-bpftool`;
  try {
    const r = spawnSync("bpftool", ["prog", "load", object, pin, "type", "xdp"], { encoding: "utf8" });
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stderr.trim(), "");
  } finally {
    fs.rmSync(pin, { force: true });
  }
});

test("ip link set dev X xdp obj: attaches with no warnings", async () => {
  if (!requireKernel("XDP attach via iproute2")) return;
  const object = await (built ??= firewallObject());
  await withVethNamespace((env) => {
    const r = spawnSync("ip", ["-n", env.ns, "link", "set", "dev", env.a, "xdp", "obj", object, "sec", "xdp"], { encoding: "utf8" });
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stderr.trim(), "");
    const show = spawnSync("ip", ["-n", env.ns, "link", "show", env.a], { encoding: "utf8" }).stdout;
    assert.match(show, /prog\/xdp id \d+ name firewall/);
  });
});

test("xdp-loader loads it (single program mode)", async () => {
  if (!requireKernel("XDP attach via xdp-loader")) return;
  const object = await (built ??= firewallObject());
  await withVethNamespace((env) => {
    const r = spawnSync("ip", ["netns", "exec", env.ns, "xdp-loader", "load", "-m", "native", env.a, object], { encoding: "utf8" });
    assert.is(r.status, 0, r.stderr);
    assert.match(env.exec("xdp-loader", ["status", env.a]), /firewall\s+native/);
  });
});

test.run();
