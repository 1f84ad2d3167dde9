// The VM behind the same API as the kernel: a generated skeleton's load({ backend: "vm" })
// with typed maps and configuration, attach refused in words, printk and redirect targets
// on the run result, and `tsxdp run --vm` as a user types it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { XDP, ipv4 } from "../../runtime/index.js";
import { readPcap, writePcap } from "../../runtime/pcap.js";
import { buildSkeleton } from "../lib/build.js";
import { build } from "../lib/packets.js";
import { repoRoot } from "../lib/paths.js";
import { NO_NATIVE_ENV } from "../../runtime/native.js";

const source = `
import { XdpContext, XDP, EthHdr, Ipv4Hdr, HashMap, PerCpuArray, DevMap, u32, u64, be32, config, printk, ntohs } from "tsxdp";
export const blocked = new HashMap<be32, u64>({ maxEntries: 16 });
export const verdicts = new PerCpuArray<u64>({ maxEntries: 5 });
export const ports = new DevMap({ maxEntries: 4 });
export const LIMIT = config<u32>(1000);
export function gate(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.ABORTED;
  printk("len %u proto %x", ctx.len, ntohs(eth.proto));
  if (ctx.len > LIMIT) return XDP.DROP;
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null) return ports.redirect(0, XDP.PASS);
  const hits = blocked.lookup(ip.saddr);
  if (hits !== null) {
    hits.value += 1;
    const n = verdicts.lookup(1);
    if (n !== null) n.value += 1;
    return XDP.DROP;
  }
  return XDP.PASS;
}
`;

const udp = (src: string) => build([{ eth: {} }, { ipv4: { src, dst: "10.0.0.2" } }, { udp: { sport: 1, dport: 2 } }]);

test("Skel.load({ backend: 'vm' }): typed maps, configuration, printk and redirect targets, attach refused", async () => {
  const { module } = await buildSkeleton("vm-gate", source);
  const Gate = module.VmGate;
  const gate = await Gate.open({ backend: "vm", vm: { cpus: 2, cpu: 1 } });
  gate.config.LIMIT = 60;
  await gate.load();
  try {
    gate.maps.blocked.set(ipv4("10.0.0.1"), 0n);
    assert.is(gate.programs.gate.run(udp("10.0.0.1")).action, XDP.DROP);
    assert.is(gate.maps.blocked.get(ipv4("10.0.0.1")), 1n);
    assert.equal(gate.maps.verdicts.get(1), [0n, 1n], "one value per VM CPU, counted on CPU 1");
    const passed = gate.programs.gate.run(udp("10.0.0.9"));
    assert.is(passed.action, XDP.PASS);
    assert.equal(passed.printk, ["gate: len 42 proto 800"], "the compiler prefixes the program name");
    assert.is(gate.programs.gate.run(new Uint8Array(61)).action, XDP.DROP, "the configured limit");
    const arp = build([{ eth: {} }, { arp: {} }]).subarray(0, 20); // too short for an IPv4 header
    assert.is(gate.programs.gate.run(arp).action, XDP.PASS, "an empty DevMap slot falls back");
    gate.maps.ports.set(0, 7);
    const redirected = gate.programs.gate.run(arp);
    assert.is(redirected.action, XDP.REDIRECT);
    assert.equal(redirected.redirect, { map: "ports", key: 0, kind: "devmap", ifindex: 7 });
    assert.throws(
      () => gate.programs.gate.attach("eth0"),
      (e: Error & { code?: string }) => e.code === "EOPNOTSUPP" && /programs of the VM backend run only in this process/.test(e.message),
    );
  } finally {
    gate.close();
  }
});

test("tsxdp run --vm: the pcap through the VM, no kernel and no addon needed", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-run-vm-"));
  const tcp = build([{ eth: {} }, { ipv4: { src: "10.0.0.1", dst: "10.0.0.2" } }, { tcp: { sport: 9, dport: 7, flags: "S" } }]);
  writePcap(path.join(dir, "in.pcap"), [{ data: udp("10.0.0.1"), timestampNs: 5n }, { data: tcp }, { data: udp("10.0.0.3") }]);
  const r = spawnSync(
    process.execPath,
    [
      path.join(repoRoot, "bin", "tsxdp.js"),
      "run",
      "examples/reflector/reflector.xdp.ts",
      "--vm",
      "--pcap",
      path.join(dir, "in.pcap"),
      "--out",
      path.join(dir, "out.pcap"),
    ],
    { encoding: "utf8", cwd: repoRoot, env: { ...process.env, [NO_NATIVE_ENV]: "1" } },
  );
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /3 packets through 'reflector' \(VM\):/);
  assert.match(r.stdout, /PASS\s+1/);
  assert.match(r.stdout, /TX\s+2/);
  const out = readPcap(path.join(dir, "out.pcap"));
  assert.is(out.length, 3);
  assert.equal([...out[0]!.data.subarray(0, 6)], [2, 0, 0, 0, 0, 1], "MACs swapped");
  const attach = spawnSync(process.execPath, [path.join(repoRoot, "bin", "tsxdp.js"), "attach", "x.o", "--dev", "veth0", "--vm"], {
    encoding: "utf8",
    cwd: repoRoot,
  });
  assert.is(attach.status, 2);
  assert.match(attach.stderr, /--vm is for tsxdp run/);
});

test.run();
