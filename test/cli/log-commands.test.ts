// tsxdp run prints each packet's log lines; tsxdp logs streams a loaded object's lines;
// tsxdp trace reads printk output from the trace pipe (tracefs mounted by the test in a
// folder of its own, unmounted after).
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import { BpfObject } from "../../runtime/index.js";
import { buildPacket, writePcap } from "../../runtime/packets/index.js";
import { findTracefs, ensureTracefs, parseTraceLine } from "../../runtime/trace.js";
import { requireKernel } from "../lib/kernel-env.js";
import { buildSource } from "../lib/build.js";
import { withVethNamespace } from "../lib/netns.js";
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

// Two objects' rings are both named tsxdp_logs: a file's lines are decoded with its own
// format table, so reading another object's ring prints wrong lines. Program names are
// unique per run (at most 15 characters, the kernel's limit) so no other process's
// programs match.
const runId = crypto.randomBytes(3).toString("hex");
const alphaName = `alpha_${runId}`;
const alphaSource = (name: string, format: string) => `
import { XdpContext, XDP, EthHdr, Ipv4Hdr, ETH_P_IP, htons, sizeof, log } from "tsxdp";
export function ${name}(ctx: XdpContext): XDP {
  // IPv4 only: an attached copy also sees the veth's own IPv6 (neighbour discovery) frames.
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return XDP.PASS;
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null) return XDP.PASS;
  log.info("${format}", ip.ttl, ip.saddr);
  return XDP.PASS;
}`;
const betaName = `beta_${runId}`;
const betaSource = `
import { XdpContext, XDP, EthHdr, log } from "tsxdp";
export function ${betaName}(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.ABORTED;
  log.warn("beta: proto {:x}, {} bytes", eth.proto, ctx.len);
  return XDP.DROP;
}`;
const fromTtl = (ttl: number, src = "10.0.0.5") =>
  buildPacket([{ eth: {} }, { ipv4: { src, dst: "10.0.0.2", ttl } }, { udp: { sport: 1, dport: 2 } }]);

/** tsxdp logs, inside a network namespace when `ns` is given; up to 20 s for one line. */
function logs(object: string, extra: string[] = [], ns?: string) {
  const args = [tsxdp, "logs", object, "--count", "1", "--timeout", "20", ...extra];
  return ns
    ? spawnSync("ip", ["netns", "exec", ns, process.execPath, ...args], { encoding: "utf8", timeout: 60_000 })
    : spawnSync(process.execPath, args, { encoding: "utf8", timeout: 60_000 });
}

/** Test-runs a loaded program by id (bpftool: the runtime needs no fd of it for that). */
function runById(id: number, packet: Uint8Array) {
  const file = path.join(os.tmpdir(), `tsxdp-packet-${runId}-${id}.bin`);
  fs.writeFileSync(file, packet);
  try {
    const r = spawnSync("bpftool", ["prog", "run", "id", String(id), "data_in", file], { encoding: "utf8" });
    assert.is(r.status, 0, r.stderr);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

test("tsxdp logs reads its own file's ring while another object's tsxdp_logs ring is loaded too (it followed the newest ring)", async () => {
  if (!requireKernel("BPF ring buffer + program ids")) return;
  const alpha = await buildSource("alpha-logs", alphaSource(alphaName, "alpha saw ttl {} from {:ipv4}"));
  const beta = await buildSource("beta-logs", betaSource);
  await using a = await (await BpfObject.open(alpha.object)).load();
  await using b = await (await BpfObject.open(beta.object)).load(); // loaded last: its ring is the newest
  a.program(alphaName).run(fromTtl(5));
  const betaPacket = fromTtl(6);
  b.program(betaName).run(betaPacket);
  const alphaLines = logs(alpha.object);
  assert.is(alphaLines.status, 0, alphaLines.stderr);
  assert.equal(alphaLines.stdout.trim().split("\n"), [`[info] ${alphaName}: alpha saw ttl 5 from 10.0.0.5`]);
  const betaLines = logs(beta.object);
  assert.is(betaLines.status, 0, betaLines.stderr);
  assert.equal(betaLines.stdout.trim().split("\n"), [`[warn] ${betaName}: beta: proto 0x800, ${betaPacket.length} bytes`]);
  // A file whose programs are not loaded: no other object's ring is taken for it.
  const gamma = await buildSource("gamma-logs", alphaSource(`gamma_${runId}`, "gamma {} {:ipv4}"));
  const none = logs(gamma.object, ["--timeout", "2"]);
  assert.is(none.status, 1, none.stdout);
  assert.match(none.stderr, new RegExp(`no program of ${escape(gamma.object)} \\(gamma_${runId}\\) is loaded with a tsxdp_logs ring`));
});

test("tsxdp logs prefers the attached copy of its object, and --dev or --prog-id choose one", async () => {
  if (!requireKernel("XDP on veth + program ids")) return;
  const alpha = await buildSource("alpha-copies", alphaSource(alphaName, "alpha saw ttl {} from {:ipv4}"));
  await withVethNamespace(async (env) => {
    const attached = spawnSync("ip", ["netns", "exec", env.ns, process.execPath, tsxdp, "attach", alpha.object, "--dev", env.a], {
      encoding: "utf8",
    });
    assert.is(attached.status, 0, attached.stderr);
    const attachedId = Number(/prog\/xdp id (\d+)/.exec(env.exec("ip", ["link", "show", env.a]))?.[1]);
    assert.ok(attachedId > 0, "the program is attached");
    // A second copy of the same object, loaded later (newer) and not attached.
    await using copy = await (await BpfObject.open(alpha.object)).load();
    const copyId = copy.program(alphaName).info().id;
    assert.ok(copyId > attachedId);
    runById(attachedId, fromTtl(5));
    copy.program(alphaName).run(fromTtl(7));
    const preferred = logs(alpha.object, [], env.ns);
    assert.is(preferred.status, 0, preferred.stderr);
    assert.equal(preferred.stdout.trim(), `[info] ${alphaName}: alpha saw ttl 5 from 10.0.0.5`, "the attached copy's line");
    const chosen = logs(alpha.object, ["--prog-id", String(copyId)]);
    assert.is(chosen.status, 0, chosen.stderr);
    assert.equal(chosen.stdout.trim(), `[info] ${alphaName}: alpha saw ttl 7 from 10.0.0.5`, "the copy --prog-id names");
    copy.program(alphaName).run(fromTtl(8));
    runById(attachedId, fromTtl(9));
    const byDevice = logs(alpha.object, ["--dev", env.a], env.ns);
    assert.is(byDevice.status, 0, byDevice.stderr);
    assert.equal(byDevice.stdout.trim(), `[info] ${alphaName}: alpha saw ttl 9 from 10.0.0.5`, "the copy attached to --dev");
    const notOurs = logs(alpha.object, ["--dev", env.b], env.ns);
    assert.is(notOurs.status, 1, notOurs.stdout);
    assert.match(
      notOurs.stderr,
      new RegExp(`no program of ${escape(alpha.object)} \\(${alphaName}\\) with a tsxdp_logs ring is attached to ${env.b}`),
    );
    // attach --follow follows the copy it attached (three copies are loaded then).
    const follow = spawn(
      "ip",
      [
        "netns",
        "exec",
        env.ns,
        process.execPath,
        tsxdp,
        "attach",
        alpha.object,
        "--dev",
        env.b,
        "--follow",
        "--count",
        "1",
        "--timeout",
        "20",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    follow.stdout.on("data", (d) => (out += d));
    let err = "";
    follow.stderr.on("data", (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => follow.on("exit", resolve));
    let followedId = 0;
    for (let i = 0; i < 200 && !followedId && follow.exitCode === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (/attached to /.test(out)) followedId = Number(/prog\/xdp id (\d+)/.exec(env.exec("ip", ["link", "show", env.b]))?.[1] ?? 0);
    }
    assert.ok(followedId > 0, `attach --follow attached: ${out}${err}`);
    runById(followedId, fromTtl(11)); // the record waits in the ring until the reader comes
    assert.is(await exited, 0, err);
    assert.equal(out.trim().split("\n").slice(1), [`[info] ${alphaName}: alpha saw ttl 11 from 10.0.0.5`]);
  });
});

test("tsxdp logs refuses to guess between loaded programs of its name that run different code, and lists them", async () => {
  if (!requireKernel("BPF ring buffer + program ids")) return;
  // Two builds of one program (the file edited since the old one was loaded): same name and
  // maps, different log calls. The old build's records decoded with the new table are wrong.
  const before = await buildSource("alpha-before", alphaSource(alphaName, "old: ttl {} from {:ipv4}"));
  const after = await buildSource(
    "alpha-after",
    alphaSource(alphaName, "alpha saw ttl {} from {:ipv4}").replace("log.info(", 'log.debug("new build");\n  log.info('),
  );
  await using old = await (await BpfObject.open(before.object)).load();
  await using current = await (await BpfObject.open(after.object)).load();
  const oldId = old.program(alphaName).info().id;
  const currentId = current.program(alphaName).info().id;
  old.program(alphaName).run(fromTtl(3));
  current.program(alphaName).run(fromTtl(4));
  const guessed = logs(after.object, ["--timeout", "2"]);
  assert.is(guessed.status, 1, guessed.stdout);
  assert.match(guessed.stderr, /2 loaded copies of .* run 2 different builds/);
  assert.match(
    guessed.stderr,
    new RegExp(
      `build 1: program id ${currentId} \\(${alphaName}, not attached\\); build 2: program id ${oldId} \\(${alphaName}, not attached\\)`,
    ),
  );
  assert.match(guessed.stderr, /choose one with --prog-id ID or --dev IFACE/);
  const chosen = spawnSync(
    process.execPath,
    [tsxdp, "logs", after.object, "--prog-id", String(currentId), "--count", "2", "--timeout", "20"],
    {
      encoding: "utf8",
    },
  );
  assert.is(chosen.status, 0, chosen.stderr);
  assert.equal(chosen.stdout.trim().split("\n"), [`[debug] ${alphaName}: new build`, `[info] ${alphaName}: alpha saw ttl 4 from 10.0.0.5`]);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

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
