// A clang-built XDP object (test/fixtures/proto-stats.c: a hash map of structs with C field
// names, a per-CPU array, const volatile configuration) on both backends: the VM reads the
// object as libbpf does, and mutated frames give the same verdicts, bytes and maps.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BpfObject, XDP } from "../../runtime/index.js";
import { requireKernel } from "../lib/kernel-env.js";
import { BackendPair, fuzzCases, pinToCpu, vmOptionsLikeKernel } from "../lib/differential.js";
import { build } from "../lib/packets.js";
import type { CasesFile } from "../lib/cases.js";
import { clangFixture } from "../lib/build.js";

function buildProtoStats(): string | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-vm-clang-"));
  const object = path.join(dir, "proto-stats.o");
  const cc = clangFixture("proto-stats.c", object, ["-mcpu=v3"]);
  if (cc.error || cc.status !== 0) {
    if (process.env.CI) throw new Error(`clang-14 could not build proto-stats.c: ${cc.error?.message ?? cc.stderr}`);
    console.warn("skipping: clang-14 is not installed (scripts/setup-system.sh installs it)");
    return undefined;
  }
  return object;
}

const udp = build([{ eth: { dst: "02:aa:00:00:00:01" } }, { ipv4: { src: "10.0.0.1", dst: "10.0.0.2" } }, { udp: { sport: 1, dport: 2 } }]);

test("a clang-built object runs on the VM: C field names, per-CPU counts, const volatile config", async () => {
  const object = buildProtoStats();
  if (!object) return;
  const obj = await BpfObject.open(object, { backend: "vm", vm: { cpus: 2 } });
  obj.variable("min_len").set(50);
  await obj.load();
  try {
    const program = obj.program("proto_stats");
    assert.is(program.run(udp).action, XDP.DROP, "42 bytes < min_len 50");
    const long = new Uint8Array(64);
    long.set(udp);
    assert.is(program.run(long).action, XDP.PASS);
    assert.equal(obj.map("by_proto").get(0x0800), {
      packets: 1n,
      bytes: 64,
      last_len: 64,
      first_byte: 0x02,
      flags: Uint8Array.from([1, 2, 3]),
    });
    assert.equal(obj.map("verdicts").get(XDP.DROP), [1n, 0n]);
  } finally {
    obj.close();
  }
});

test("the clang-built object agrees with the kernel on mutated frames", async () => {
  if (!requireKernel("BPF_PROG_TEST_RUN")) return;
  const object = buildProtoStats();
  if (!object) return;
  const cases: CasesFile = {
    program: "proto_stats",
    cases: [
      { name: "IPv4/UDP", packet: Buffer.from(udp).toString("hex"), expect: { action: "PASS" } },
      { name: "ARP", packet: Buffer.from(build([{ eth: {} }, { arp: {} }])).toString("hex"), expect: { action: "PASS" } },
    ],
  };
  const unpin = pinToCpu(0);
  try {
    const result = await fuzzCases(object, cases, { seed: 7, perCase: 1000, deadline: Date.now() + 15_000 });
    console.log(`clang object, VM vs kernel: ${result.packets} packets, ${result.disagreements.length} disagreements`);
    assert.ok(result.packets >= 100, `${result.packets} packets`);
    assert.ok(result.disagreements.length === 0, result.disagreements.join("\n\n"));
  } finally {
    unpin();
  }
});

test("the differential finds a disagreement and reports the packet, both results and the trace", async () => {
  if (!requireKernel("BPF_PROG_TEST_RUN")) return;
  const object = buildProtoStats();
  if (!object) return;
  const unpin = pinToCpu(0);
  // The VM on CPU 1 while the kernel runs on CPU 0: the per-CPU counters must differ.
  const pair = await BackendPair.open(object, { ...vmOptionsLikeKernel(0), cpu: 1 });
  try {
    const run = pair.run("proto_stats", udp);
    assert.equal(run.problems, [], "verdict and bytes agree");
    const state = pair.compareState();
    assert.ok(
      state.some((p) => /^map verdicts\[2\]: kernel \[1,0\], VM \[0,1\]$/.test(p)),
      state.join("\n"),
    );
    const trace = pair.trace("proto_stats", udp);
    assert.match(trace, /^VM instruction trace \(\d+ executed\):/);
    assert.match(trace, /proto-stats\.c:\d+: `[^`]+`/);
  } finally {
    pair.close();
    unpin();
  }
});

test.run();
