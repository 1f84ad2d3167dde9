// tsxdp run prints each packet's log lines; tsxdp logs streams a loaded object's lines;
// tsxdp trace reads printk output from the trace pipe (tracefs mounted by the test in a
// folder of its own, unmounted after).
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { BpfObject } from "../../runtime/index.js";
import { buildPacket, writePcap } from "../../runtime/packets/index.js";
import { findTracefs, ensureTracefs, parseTraceLine } from "../../runtime/trace.js";
import { requireKernel } from "../lib/kernel-env.js";
import { buildSource } from "../lib/build.js";
import { repoRoot } from "../lib/paths.js";

const tsxdp = path.join(repoRoot, "bin/tsxdp.js");
const source = `
import { XdpContext, XDP, EthHdr, Ipv4Hdr, ETH_P_IP, htons, sizeof, log, printk } from "tsxdp";
export function gate(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.ABORTED;
  if (eth.proto !== htons(ETH_P_IP)) {
    log.debug("not IPv4: {:x}", eth.proto);
    return XDP.PASS;
  }
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null) return XDP.ABORTED;
  if (ip.ttl < 2) {
    log.warn("ttl {} from {:ipv4}: dropped", ip.ttl, ip.saddr);
    printk("ttl %d", ip.ttl);
    return XDP.DROP;
  }
  return XDP.PASS;
}`;

const packets = [
  buildPacket([{ eth: {} }, { ipv4: { src: "10.0.0.1", dst: "10.0.0.2", ttl: 64 } }, { udp: { sport: 1, dport: 2 } }]),
  buildPacket([{ eth: {} }, { ipv4: { src: "10.9.8.7", dst: "10.0.0.2", ttl: 1 } }, { udp: { sport: 1, dport: 2 } }]),
  buildPacket([{ eth: {} }, { arp: {} }]),
];

function run(args: string[]) {
  return spawnSync(process.execPath, [tsxdp, ...args], { encoding: "utf8", timeout: 60_000 });
}

test("tsxdp run prints the lines each packet logged, numbered, with its verdict", async () => {
  if (!requireKernel("BPF_PROG_TEST_RUN")) return;
  const { object, dir } = await buildSource("gate", source);
  const pcap = path.join(dir, "in.pcap");
  writePcap(
    pcap,
    packets.map((data) => ({ data })),
  );
  const r = run(["run", object, "--pcap", pcap]);
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert.equal(lines.slice(0, 2), ["#2 DROP: [warn] gate: ttl 1 from 10.9.8.7: dropped", "#3 PASS: [debug] gate: not IPv4: 0x806"]);
  const quiet = run(["run", object, "--pcap", pcap, "--log-level", "warn"]);
  assert.equal(
    quiet.stdout.split("\n").filter((l) => l.startsWith("#")),
    ["#2 DROP: [warn] gate: ttl 1 from 10.9.8.7: dropped"],
  );
});

test("tsxdp logs streams the lines of the object loaded in the kernel", async () => {
  if (!requireKernel("BPF ring buffer")) return;
  const { object } = await buildSource("gate-logs", source);
  await using obj = await (await BpfObject.open(object)).load();
  for (const p of packets) obj.program("gate").run(p);
  const r = run(["logs", object, "--count", "2", "--timeout", "20"]);
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split("\n"), ["[warn] gate: ttl 1 from 10.9.8.7: dropped", "[debug] gate: not IPv4: 0x806"]);
  const silent = await buildSource(
    "silent-logs",
    `import { XdpContext, XDP } from "tsxdp";\nexport function quiet(ctx: XdpContext): XDP { return XDP.PASS; }`,
  );
  const none = run(["logs", silent.object, "--timeout", "1"]);
  assert.is(none.status, 1);
  assert.match(none.stderr, /never call log\.\*/);
});

test("tsxdp logs ends at its --timeout when no line comes (it hung on an idle ring)", async () => {
  if (!requireKernel("BPF ring buffer")) return;
  const { object } = await buildSource("idle-logs", source);
  await using obj = await (await BpfObject.open(object)).load();
  const started = Date.now();
  const child = spawn(process.execPath, [tsxdp, "logs", object, "--count", "1", "--timeout", "1"], { stdio: ["ignore", "pipe", "pipe"] });
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const status = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  clearTimeout(killer);
  assert.is(status, 0, `tsxdp logs did not end by itself (${Date.now() - started} ms)`);
  assert.ok(obj.program("gate"), "the object stayed loaded while the reader waited");
});

test("printk lines come back from the trace pipe with the program that printed them", async () => {
  if (!requireKernel("tracefs + bpf_trace_printk")) return;
  const parsed = parseTraceLine("          <idle>-0       [001] b.s31  1234.500001: bpf_trace_printk: gate: ttl 1", new Set(["gate"]));
  assert.equal(
    parsed && { task: parsed.task, pid: parsed.pid, cpu: parsed.cpu, time: parsed.time, program: parsed.program, message: parsed.message },
    { task: "<idle>", pid: 0, cpu: 1, time: 1234.500001, program: "gate", message: "ttl 1" },
  );
  // Its own program name: lines the other tests' programs printed are not this test's.
  const { object } = await buildSource("gate-trace", source.replace(/\bgate\b/g, "tracer"));
  const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-tracefs-"));
  const mountedHere = findTracefs() === undefined;
  try {
    if (mountedHere) assert.is(ensureTracefs(mountPoint), mountPoint);
    const child = spawn(process.execPath, [tsxdp, "trace", object, "--count", "1", "--timeout", "20"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the reader is polling the pipe
    await using obj = await (await BpfObject.open(object)).load();
    obj.program("tracer").run(packets[1]!);
    const status = await exited;
    assert.is(status, 0, err);
    assert.match(out.trim(), /^\d+\.\d{6} tracer: ttl 1$/);
  } finally {
    if (mountedHere) spawnSync("umount", [mountPoint]);
    fs.rmdirSync(mountPoint);
  }
});

test.run();
