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

test.run();
