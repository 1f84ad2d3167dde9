// `tsxdp build --verify` loads into the real kernel; a rejection prints the verifier log
// with the .xdp.ts source lines and exits 1.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../lib/paths.js";
import { requireKernel } from "../lib/kernel-env.js";

const bin = path.join(repoRoot, "bin", "tsxdp.js");
const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd: repoRoot });

test("an accepted program is loaded and unloaded", () => {
  if (!requireKernel("BPF_PROG_LOAD of XDP programs")) return;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-verify-"));
  const r = run(["build", path.join(repoRoot, "examples/firewall/firewall.xdp.ts"), "-o", out, "--verify"]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /verified by the kernel \(1 program loaded and unloaded\)/);
  assert.equal(
    fs.readdirSync("/sys/fs/bpf").filter((n) => n.startsWith(`tsxdp-verify-`)),
    [],
    "pins left behind",
  );
});

test("--verify leaves no pin of a byName map behind (libbpf pins them under /sys/fs/bpf while loading)", () => {
  if (!requireKernel("bpffs pinning")) return;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-verify-"));
  const name = `tsxdp_vpin_${process.pid % 100000}`;
  const source = path.join(out, "pinned.xdp.ts");
  fs.writeFileSync(
    source,
    `import { XdpContext, XDP, HashMap, u32 } from "tsxdp";
export const ${name} = new HashMap<u32, u32>({ maxEntries: 4, pinning: "byName" });
export function p(ctx: XdpContext): XDP {
  const v = ${name}.lookup(0);
  return v === null ? XDP.PASS : XDP.DROP;
}
`,
  );
  const pin = path.join("/sys/fs/bpf", name);
  try {
    const r = run(["build", source, "-o", out, "--verify"]);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /verified by the kernel/);
    assert.not.ok(fs.existsSync(pin), `${pin} left behind`);
  } finally {
    fs.rmSync(pin, { force: true });
  }
});

test("a verifier rejection shows the log with .xdp.ts lines", () => {
  if (!requireKernel("BPF_PROG_LOAD of XDP programs")) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-verify-"));
  const file = path.join(dir, "overread.xdp.ts");
  // The compiler cannot know that csum_diff reads 64 bytes of a 14-byte view: the kernel can.
  fs.writeFileSync(
    file,
    [
      `import { XdpContext, XDP, EthHdr, csumDiff } from "tsxdp";`,
      `export function overread(ctx: XdpContext): XDP {`,
      `  const eth = ctx.header<EthHdr>(0);`,
      `  if (eth === null) return XDP.PASS;`,
      `  const s = csumDiff(eth, 64, null, 0, 0);`,
      `  return s === 0 ? XDP.DROP : XDP.PASS;`,
      `}`,
    ].join("\n"),
  );
  const r = run(["build", file, "-o", dir, "--verify"]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /TSX5003: The kernel verifier rejected program 'overread': R1 offset is outside of the packet/);
  assert.match(r.stderr, /; const s = csumDiff\(eth, 64, null, 0, 0\); @ overread\.xdp\.ts:5/);
});

test.run();
