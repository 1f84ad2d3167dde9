// tsxdp run / attach / detach / maps, as a user types them.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../lib/paths.js";
import { requireKernel } from "../lib/kernel-env.js";
import { withVethNamespace } from "../lib/netns.js";
import { build } from "../lib/packets.js";
import { readPcap, writePcap } from "../../runtime/pcap.js";
import crypto from "node:crypto";
import { BpfObject, ipv4 } from "../../runtime/index.js";
import { buildSource } from "../lib/build.js";

const bin = path.join(repoRoot, "bin", "tsxdp.js");
const tsxdp = (args: string[], ns?: string) =>
  ns ? spawnSync("ip", ["netns", "exec", ns, process.execPath, bin, ...args], { encoding: "utf8", cwd: repoRoot })
     : spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd: repoRoot });

test("tsxdp run: every pcap packet through the program, verdicts counted, output written", () => {
  if (!requireKernel("BPF_PROG_TEST_RUN")) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-run-"));
  const udp = build([{ eth: {} }, { ipv4: { src: "10.0.0.1", dst: "10.0.0.2" } }, { udp: { sport: 9, dport: 7 } }]);
  const tcp = build([{ eth: {} }, { ipv4: { src: "10.0.0.1", dst: "10.0.0.2" } }, { tcp: { sport: 9, dport: 7, flags: "S" } }]);
  writePcap(path.join(dir, "in.pcap"), [{ data: udp, timestampNs: 5n }, { data: tcp }, { data: udp }]);
  const r = tsxdp(["run", "examples/reflector/reflector.xdp.ts", "--pcap", path.join(dir, "in.pcap"), "--out", path.join(dir, "out.pcap")]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /3 packets through 'reflector':/);
  assert.match(r.stdout, /PASS\s+1/);
  assert.match(r.stdout, /TX\s+2/);
  const out = readPcap(path.join(dir, "out.pcap"));
  assert.is(out.length, 3);
  assert.is(out[0]!.timestampNs, 5n);
  assert.equal([...out[0]!.data.subarray(0, 6)], [2, 0, 0, 0, 0, 1], "MACs swapped");
  const bad = tsxdp(["run", "examples/reflector/reflector.xdp.ts", "--pcap", path.join(repoRoot, "README.md")]);
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /not a pcap file/);
});

test("tsxdp attach --pin, maps, detach inside a test namespace", async () => {
  if (!requireKernel("XDP attach")) return;
  await withVethNamespace((env) => {
    // ip netns exec gives each command a fresh /sys without bpffs: mount one for the script,
    // so the pinned link and maps live (and die) with that one mount namespace.
    const tsx = `${process.execPath} ${bin}`;
    const script = [
      "set -e",
      "mount -t bpf bpf /sys/fs/bpf",
      `${tsx} attach examples/firewall/firewall.xdp.ts --dev ${env.a} --pin /sys/fs/bpf/fw`,
      `ip link show ${env.a} | grep -q prog/xdp && echo ATTACHED-AFTER-EXIT`,
      `${tsx} maps /sys/fs/bpf/fw/maps`,
      "rm /sys/fs/bpf/fw/link",
      `ip link show ${env.a} | grep -q prog/xdp || echo DETACHED-BY-UNPIN`,
      `${tsx} attach examples/firewall/firewall.xdp.ts --dev ${env.a} --mode generic`,
      `ip link show ${env.a} | grep -q xdpgeneric && echo ATTACHED-GENERIC`,
      `${tsx} detach --dev ${env.a}`,
      `ip link show ${env.a} | grep -q xdp || echo DETACHED`,
    ].join("\n");
    const r = spawnSync("ip", ["netns", "exec", env.ns, "unshare", "-m", "sh", "-c", script], { encoding: "utf8", cwd: repoRoot });
    assert.is(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /'firewall' attached to va\w+ \(link\); pinned at \/sys\/fs\/bpf\/fw\/link/);
    assert.match(r.stdout, /ATTACHED-AFTER-EXIT/);
    assert.match(r.stdout, /verdicts \(verdicts\): type 6, 5 entries max/);
    assert.match(r.stdout, /blocklist \(blocklist\): type 1/);
    assert.match(r.stdout, /DETACHED-BY-UNPIN/);
    assert.match(r.stdout, /ATTACHED-GENERIC/);
    assert.match(r.stdout, /detached the XDP program from va/);
    assert.match(r.stdout, /\nDETACHED/);
    const missing = tsxdp(["detach", "--dev", "tsxdp-nope0"], env.ns);
    assert.is(missing.status, 1);
    assert.match(missing.stderr, /no such network interface 'tsxdp-nope0'.*\(ENODEV\)/);
  });
});

test("tsxdp maps <obj>: the object's live kernel maps, found by name and shape, typed from its BTF", async () => {
  if (!requireKernel("BPF map ids")) return;
  // Unique names, longer than the kernel's 15 characters, so only this test's maps match.
  const id = crypto.randomBytes(3).toString("hex");
  const flows = `f${id}_flows_by_endpoint`;
  const hits = `h${id}_hits_per_cpu`;
  const source = (extra: string) => `import { XdpContext, XDP, HashMap, PerCpuArray, FixedArray, be16, be32, u8, u32, u64 } from "tsxdp";
interface Endpoint { addr: be32; port: be16; proto: u8; }
interface Flow { packets: u64; bytes: u32; mac: FixedArray<u8, 6>; }
export const ${flows} = new HashMap<Endpoint, Flow>({ maxEntries: 64 });
export const ${hits} = new PerCpuArray<u64>({ maxEntries: 2 });
${extra}
export function count(ctx: XdpContext): XDP {
  const h = ${hits}.lookup(1);
  if (h !== null) h.value += 1;
  return XDP.PASS;
}`;
  const { object } = await buildSource("dumped", source(""));
  const { object: never } = await buildSource("neverloaded", source(`export const n${id}_never_loaded = new HashMap<u32, u32>({ maxEntries: 4 });`).replace(new RegExp(`[fh]${id}_`, "g"), (m) => `x${m}`));
  const obj = await (await BpfObject.open(object)).load();
  try {
    obj.map(flows).set({ addr: ipv4("10.9.8.7"), port: 4433, proto: 6 }, { packets: 12n, bytes: 3456, mac: Uint8Array.of(2, 0, 0, 0, 0, 9) });
    obj.map(flows).set({ addr: ipv4("10.9.8.6"), port: 53, proto: 17 }, { packets: 2n ** 40n, bytes: 1, mac: new Uint8Array(6) });
    for (let i = 0; i < 3; i++) obj.program("count").run(new Uint8Array(64));
    const r = tsxdp(["maps", object]);
    assert.is(r.status, 0, r.stderr);
    const kernelFlows = flows.slice(0, 15);
    assert.match(r.stdout, new RegExp(`^${flows} \\(id \\d+, hash, 8-byte keys, 24-byte values, 64 entries max\\):$`, "m"));
    assert.ok(r.stdout.includes(`\n  { addr: ${ipv4("10.9.8.7")}, port: 4433, proto: 6 } => { packets: 12n, bytes: 3456, mac: 020000000009 }\n`), r.stdout);
    assert.ok(r.stdout.includes(`\n  { addr: ${ipv4("10.9.8.6")}, port: 53, proto: 17 } => { packets: 1099511627776n, bytes: 1, mac: 000000000000 }\n`), r.stdout);
    assert.match(r.stdout, new RegExp(`^${hits} \\(id \\d+, percpu_array, 4-byte keys, 8-byte values, 2 entries max\\):$`, "m"));
    const perCpu = new RegExp("^  1 => \\[([^\\]]*)\\]$", "m").exec(r.stdout);
    assert.ok(perCpu, r.stdout);
    assert.is(perCpu![1]!.split(", ").reduce((sum, v) => sum + BigInt(v.replace(/n$/, "")), 0n), 3n, "the per-CPU hit counters add up to the 3 runs");
    assert.ok(kernelFlows.length === 15 && !r.stdout.includes("not in the kernel"), r.stdout);

    const missing = tsxdp(["maps", never]);
    assert.is(missing.status, 0, missing.stderr);
    assert.match(missing.stdout, new RegExp(`^n${id}_never_loaded: not in the kernel \\(no loaded map named 'n${id}_never_l' that is a hash, 4-byte keys, 4-byte values\\); load the object first$`, "m"));
    // Building from the source first works the same way.
    fs.writeFileSync(path.join(path.dirname(object), "dumped.xdp.ts"), source(""));
    const fromSource = tsxdp(["maps", path.join(path.dirname(object), "dumped.xdp.ts")]);
    assert.is(fromSource.status, 0, fromSource.stderr);
    assert.match(fromSource.stdout, /=> \{ packets: 12n, bytes: 3456, mac: 020000000009 \}/);
  } finally {
    obj.close();
  }
  const gone = tsxdp(["maps", "/no/such/pin"]);
  assert.is(gone.status, 1);
  assert.match(gone.stderr, /does not exist.*\(ENOENT\)/);
});

test.run();
