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
  ns
    ? spawnSync("ip", ["netns", "exec", ns, process.execPath, bin, ...args], { encoding: "utf8", cwd: repoRoot })
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
      `rm /sys/fs/bpf/fw/links/${env.a}`,
      // The kernel releases an unpinned link when bpffs frees the inode, which may come a
      // moment after rm returns (RCU): wait for it, bounded (5 s).
      `for i in $(seq 50); do ip link show ${env.a} | grep -q prog/xdp || break; sleep 0.1; done`,
      `ip link show ${env.a} | grep -q prog/xdp || echo DETACHED-BY-UNPIN`,
      `${tsx} attach examples/firewall/firewall.xdp.ts --dev ${env.a} --mode generic`,
      `ip link show ${env.a} | grep -q xdpgeneric && echo ATTACHED-GENERIC`,
      `${tsx} detach --dev ${env.a}`,
      `ip link show ${env.a} | grep -q xdp || echo DETACHED`,
    ].join("\n");
    const r = spawnSync("ip", ["netns", "exec", env.ns, "unshare", "-m", "sh", "-c", script], { encoding: "utf8", cwd: repoRoot });
    assert.is(r.status, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /'firewall' attached to va\w+ \(link\); link pinned at \/sys\/fs\/bpf\/fw\/links\/va\w+, maps in \/sys\/fs\/bpf\/fw\/maps/,
    );
    assert.match(r.stdout, /ATTACHED-AFTER-EXIT/);
    assert.match(r.stdout, /verdicts \(verdicts\): percpu_array, 4-byte keys, 8-byte values, 5 entries max/);
    assert.match(r.stdout, /blocklist \(blocklist\): hash, 4-byte keys, 8-byte values/);
    assert.match(r.stdout, /DETACHED-BY-UNPIN/);
    assert.match(r.stdout, /ATTACHED-GENERIC/);
    assert.match(r.stdout, /detached the XDP program \(id \d+, generic mode, held by netlink\) from va/);
    assert.match(r.stdout, /^DETACHED$/m);
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
  const { object: never } = await buildSource(
    "neverloaded",
    source(`export const n${id}_never_loaded = new HashMap<u32, u32>({ maxEntries: 4 });`).replace(
      new RegExp(`[fh]${id}_`, "g"),
      (m) => `x${m}`,
    ),
  );
  const obj = await (await BpfObject.open(object)).load();
  try {
    obj
      .map(flows)
      .set({ addr: ipv4("10.9.8.7"), port: 4433, proto: 6 }, { packets: 12n, bytes: 3456, mac: Uint8Array.of(2, 0, 0, 0, 0, 9) });
    obj.map(flows).set({ addr: ipv4("10.9.8.6"), port: 53, proto: 17 }, { packets: 2n ** 40n, bytes: 1, mac: new Uint8Array(6) });
    for (let i = 0; i < 3; i++) obj.program("count").run(new Uint8Array(64));
    const r = tsxdp(["maps", object]);
    assert.is(r.status, 0, r.stderr);
    const kernelFlows = flows.slice(0, 15);
    assert.match(r.stdout, new RegExp(`^${flows} \\(id \\d+, hash, 8-byte keys, 24-byte values, 64 entries max\\):$`, "m"));
    assert.ok(
      r.stdout.includes(`\n  { addr: ${ipv4("10.9.8.7")}, port: 4433, proto: 6 } => { packets: 12n, bytes: 3456, mac: 020000000009 }\n`),
      r.stdout,
    );
    assert.ok(
      r.stdout.includes(
        `\n  { addr: ${ipv4("10.9.8.6")}, port: 53, proto: 17 } => { packets: 1099511627776n, bytes: 1, mac: 000000000000 }\n`,
      ),
      r.stdout,
    );
    assert.match(r.stdout, new RegExp(`^${hits} \\(id \\d+, percpu_array, 4-byte keys, 8-byte values, 2 entries max\\):$`, "m"));
    const perCpu = new RegExp("^  1 => \\[([^\\]]*)\\]$", "m").exec(r.stdout);
    assert.ok(perCpu, r.stdout);
    assert.is(
      perCpu![1]!.split(", ").reduce((sum, v) => sum + BigInt(v.replace(/n$/, "")), 0n),
      3n,
      "the per-CPU hit counters add up to the 3 runs",
    );
    assert.ok(kernelFlows.length === 15 && !r.stdout.includes("not in the kernel"), r.stdout);

    const missing = tsxdp(["maps", never]);
    assert.is(missing.status, 0, missing.stderr);
    assert.match(
      missing.stdout,
      new RegExp(
        `^n${id}_never_loaded: not in the kernel \\(no loaded map named 'n${id}_never_l' that is a hash, 4-byte keys, 4-byte values\\); load the object first$`,
        "m",
      ),
    );
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

/** Runs a shell script inside the namespace, with a bpffs of its own (so its pins die with it). */
function shellInNamespace(ns: string, lines: string[]) {
  const script = ["mount -t bpf bpf /sys/fs/bpf", ...lines].join("\n");
  return spawnSync("ip", ["netns", "exec", ns, "unshare", "-m", "sh", "-c", script], { encoding: "utf8", cwd: repoRoot, timeout: 120_000 });
}

/** The output between `== name` and the next `==` marker of a script's stdout. */
function section(stdout: string, name: string): string {
  const start = stdout.indexOf(`== ${name}\n`);
  assert.ok(start >= 0, `no section ${name} in:\n${stdout}`);
  const rest = stdout.slice(start + name.length + 4);
  const end = rest.indexOf("\n== ");
  return end < 0 ? rest : rest.slice(0, end + 1);
}

test("tsxdp attach takes an interface over only with --replace; detach detaches every mode and says when nothing is attached", async () => {
  if (!requireKernel("XDP attach")) return;
  await withVethNamespace((env) => {
    const tsx = `${process.execPath} ${bin}`;
    const fw = "examples/firewall/firewall.xdp.ts",
      reflector = "examples/reflector/reflector.xdp.ts";
    const step = (name: string, command: string) => [
      `echo "== ${name}"`,
      `${command} 2>&1; echo "rc=$?"`,
      `ip link show ${env.a} | grep -o 'prog/xdp id [0-9]*\\|xdpgeneric\\|xdp ' | tr '\\n' ' '; echo`,
    ];
    const r = shellInNamespace(env.ns, [
      ...step("first", `${tsx} attach ${fw} --dev ${env.a} --mode generic`),
      ...step("second", `${tsx} attach ${reflector} --dev ${env.a} --mode generic`),
      ...step("replace", `${tsx} attach ${reflector} --dev ${env.a} --mode generic --replace`),
      ...step("detach", `${tsx} detach --dev ${env.a}`),
      ...step("again", `${tsx} detach --dev ${env.a}`),
      ...step("pinned", `${tsx} attach ${fw} --dev ${env.a} --pin /sys/fs/bpf/fw`),
      ...step("over the pin", `${tsx} attach ${reflector} --dev ${env.a} --pin /sys/fs/bpf/other`),
      ...step("detach the link", `${tsx} detach --dev ${env.a}`),
      ...step("wrong mode", `${tsx} attach ${fw} --dev ${env.a} --mode generic && ${tsx} detach --dev ${env.a} --mode native`),
    ]);
    assert.is(r.status, 0, r.stdout + r.stderr);
    const out = (name: string) => section(r.stdout, name);
    assert.match(out("first"), /'firewall' attached to va\w+ \(netlink\)[^]*rc=0\n.*xdpgeneric/);
    // Without --replace the CLI no longer takes the interface over (it used to, silently).
    assert.match(
      out("second"),
      /a program is already attached to 'va\w+' \(program id \d+, attached through netlink\); to replace it, .*tsxdp attach --replace.* \(EEXIST\)\nrc=1\n/,
    );
    const firstId = /prog\/xdp id (\d+)/.exec(out("first"))![1];
    assert.ok(out("second").includes(`prog/xdp id ${firstId}`), "the first program stays attached");
    assert.match(out("replace"), /'reflector' attached to va\w+ \(netlink\)[^]*rc=0\n/);
    assert.not.ok(out("replace").includes(`prog/xdp id ${firstId} `), "replaced");
    // A generic program used to stay attached while detach said "detached".
    assert.match(out("detach"), /detached the XDP program \(id \d+, generic mode, held by netlink\) from va\w+\nrc=0\n\s*\n/);
    assert.match(out("again"), /detach from 'va\w+': no XDP program is attached \(ENOENT\)\nrc=1\n/);
    assert.match(out("pinned"), /link pinned at \/sys\/fs\/bpf\/fw\/links\/va\w+, maps in \/sys\/fs\/bpf\/fw\/maps[^]*rc=0/);
    assert.match(out("over the pin"), /a program is already attached .*held by a BPF link.*\(EEXIST\)\nrc=1/);
    assert.match(out("detach the link"), /detached the XDP program \(id \d+, native mode, held by a BPF link\)[^]*rc=0\n\s*\n/);
    assert.match(
      out("wrong mode"),
      /no XDP program is attached in native mode \(the program there runs in generic mode: leave out --mode, or give that one\) \(ENOENT\)\nrc=1\n.*xdpgeneric/,
    );
  });
});

test("tsxdp attach --pin: two programs of one object share its maps; tsxdp maps lists the folder, other pin kinds and big maps", async () => {
  if (!requireKernel("XDP attach, bpffs")) return;
  const id = crypto.randomBytes(3).toString("hex");
  // A stateful pair: inbound counts flows, outbound reads the same map.
  const { object, dir } = await buildSource(
    "stateful",
    `import { XdpContext, XDP, HashMap, ArrayMap, RingBuf, FixedArray, u8, u32, u64 } from "tsxdp";
export const flows = new HashMap<u32, u64>({ maxEntries: 64 });
export const blobs = new ArrayMap<FixedArray<u8, 4096>>({ maxEntries: 1200 });
export const events = new RingBuf<u32>({ maxBytes: 4096 });
export function in${id}(ctx: XdpContext): XDP {
  const n = flows.lookup(1);
  if (n !== null) n.value += 1; else flows.update(1, 1);
  return XDP.PASS;
}
export function out${id}(ctx: XdpContext): XDP {
  return flows.lookup(1) === null ? XDP.DROP : XDP.PASS;
}`,
  );
  fs.chmodSync(dir, 0o755);
  await withVethNamespace((env) => {
    const tsx = `${process.execPath} ${bin}`;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-clitmp-"));
    try {
      const r = shellInNamespace(env.ns, [
        `${tsx} attach ${object} --program in${id} --dev ${env.a} --pin /sys/fs/bpf/app`,
        `${tsx} attach ${object} --program out${id} --dev ${env.b} --pin /sys/fs/bpf/app`,
        `ls /sys/fs/bpf/app /sys/fs/bpf/app/links /sys/fs/bpf/app/maps`,
        `for l in ${env.a} ${env.b}; do bpftool prog show id $(bpftool link show pinned /sys/fs/bpf/app/links/$l | sed -n 's/.*prog \\([0-9]*\\).*/\\1/p') | sed -n "s/.*map_ids \\([0-9,]*\\).*/maps of $l: \\1/p"; done`,
        `bpftool map create /sys/fs/bpf/app/queue type queue key 0 value 4 entries 8 name q${id}`,
        `bpftool map create /sys/fs/bpf/app/bloom type bloom_filter key 0 value 4 entries 8 name b${id}`,
        `bpftool prog pin name in${id} /sys/fs/bpf/app/program`,
        `echo "== maps"`,
        `${tsx} maps /sys/fs/bpf/app; echo "rc=$?"`,
        `echo "== limited"`,
        `${tsx} maps /sys/fs/bpf/app/maps/blobs --max-entries 3; echo "rc=$?"`,
        `echo "== source"`,
        `TMPDIR=${tmp} ${tsx} maps examples/firewall/firewall.xdp.ts >/dev/null; echo "rc=$?"; ls -A ${tmp} | wc -l`,
      ]);
      assert.is(r.status, 0, r.stdout + r.stderr);
      // One link per interface, both programs on the maps pinned in app/maps.
      assert.match(r.stdout, new RegExp(`'in${id}' attached to ${env.a} \\(link\\); link pinned at /sys/fs/bpf/app/links/${env.a}`));
      assert.match(r.stdout, new RegExp(`'out${id}' attached to ${env.b} \\(link\\); link pinned at /sys/fs/bpf/app/links/${env.b}`));
      const mapIds = [...r.stdout.matchAll(/^maps of (\w+): ([\d,]+)$/gm)].map((m) => m[2]!.split(","));
      assert.is(mapIds.length, 2, r.stdout);
      const shared = mapIds[0]!.filter((m) => mapIds[1]!.includes(m));
      assert.ok(shared.length >= 1, `the two programs share the pinned maps: ${JSON.stringify(mapIds)}`);
      const maps = section(r.stdout, "maps");
      assert.match(maps, /rc=0\n$/, maps);
      assert.match(
        maps,
        new RegExp(`^links/${env.a}: a pinned BPF link \\(id \\d+, program id \\d+, XDP on ifindex \\d+\\), not a map$`, "m"),
      );
      assert.match(maps, /^flows \(maps\/flows\): hash, 4-byte keys, 8-byte values, 64 entries max$/m);
      assert.match(maps, /^events \(maps\/events\): ringbuf, .*\n {2}\(a ring buffer: its records are consumed, not listed/m);
      assert.match(maps, new RegExp(`^q${id} \\(queue\\): queue, 0-byte keys, 4-byte values, 8 entries max\\n  \\(a queue: `, "m"));
      assert.match(maps, new RegExp(`^b${id} \\(bloom\\): bloom_filter, .*\\n  \\(a bloom filter: `, "m"));
      assert.match(maps, new RegExp(`^program: a pinned program \\('in${id}', id \\d+\\), not a map$`, "m"));
      // 1200 values of 4 KiB: 1000 listed, each cut to its first 64 bytes.
      assert.match(
        maps,
        /^blobs \(maps\/blobs\): array, 4-byte keys, 4096-byte values, 1200 entries max\n {2}0 => 0{128}… \(4096 bytes\)$/m,
      );
      assert.match(maps, /^ {2}… 200 more entries \(shown: 1000\)$/m);
      assert.ok(maps.length < 400_000, `${maps.length} characters`);
      assert.match(section(r.stdout, "limited"), /^ {2}2 => 0+… \(4096 bytes\)\n {2}… 1197 more entries \(shown: 3\)\nrc=0$/m);
      // A .xdp.ts target is compiled into a temporary folder that is removed afterwards.
      assert.match(section(r.stdout, "source"), /rc=0\n0\n/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

test("tsxdp attach --pin refuses a pin folder another user controls; setup-system.sh mounts bpffs 0700", async () => {
  if (!requireKernel("bpffs")) return;
  await withVethNamespace((env) => {
    const tsx = `${process.execPath} ${bin}`;
    const r = shellInNamespace(env.ns, [
      "mkdir /sys/fs/bpf/squatted && chown 65534 /sys/fs/bpf/squatted",
      "mkdir -m 0777 /sys/fs/bpf/open",
      `echo "== squatted"; ${tsx} attach examples/firewall/firewall.xdp.ts --dev ${env.a} --pin /sys/fs/bpf/squatted 2>&1; echo "rc=$?"`,
      `echo "== open"; ${tsx} attach examples/firewall/firewall.xdp.ts --dev ${env.a} --pin /sys/fs/bpf/open 2>&1; echo "rc=$?"`,
      `ip link show ${env.a} | grep -c xdp`,
      `echo "== mount"; umount /sys/fs/bpf; eval "$(sed -n '/^mount_bpffs()/,/^}/p' scripts/setup-system.sh)"; mount_bpffs; stat -c %a /sys/fs/bpf`,
    ]);
    assert.match(
      section(r.stdout, "squatted"),
      /refusing to pin under \/sys\/fs\/bpf\/squatted: \/sys\/fs\/bpf\/squatted belongs to uid 65534, not to this user \(uid 0\), so another user could remove or replace the pins there .*\(EPERM\)\nrc=1\n/,
    );
    assert.match(
      section(r.stdout, "open"),
      /\/sys\/fs\/bpf\/open is writable by every user \(mode 777\).*chmod go-w \/sys\/fs\/bpf\/open \(EPERM\)\nrc=1\n0\n/,
    );
    assert.match(section(r.stdout, "mount"), /^1700$/m, "0700 (bpffs always adds the sticky bit)");
  });
});

test.run();
