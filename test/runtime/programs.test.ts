// Programs and objects against the real kernel: the test-run context, pinning a program,
// the words of a permission error (as an unprivileged user), load/unload cycles without
// leaking descriptors, and an object built by clang from C.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BpfObject, BpfProgram, BpfError, XDP } from "../../runtime/index.js";
import { native } from "../../runtime/native.js";
import { requireKernel } from "../lib/kernel-env.js";
import { buildSource } from "../lib/build.js";
import { withVethNamespace } from "../lib/netns.js";
import { repoRoot } from "../lib/paths.js";
import { build } from "../lib/packets.js";

const runtimeUrl = new URL("../../runtime/index.js", import.meta.url).href;

const whereSource = `import { XdpContext, XDP, ArrayMap, u32 } from "tsxdp";
export const seen = new ArrayMap<u32>({ maxEntries: 2 });
export function where(ctx: XdpContext): XDP {
  seen.update(0, ctx.ingressIfindex);
  seen.update(1, ctx.rxQueueIndex);
  return ctx.rxQueueIndex === 3 ? XDP.DROP : XDP.PASS;
}`;

test("run(packet, { ctx }): the program sees ingress_ifindex and rx_queue_index", async () => {
  if (!requireKernel("BPF_PROG_TEST_RUN with xdp_md")) return;
  const { object, dir } = await buildSource("where", whereSource);
  fs.chmodSync(dir, 0o755);
  // The interface must exist in the namespace of the run, with enough receive queues.
  await withVethNamespace((env) => {
    const script = path.join(dir, "where.mjs");
    fs.writeFileSync(script, `
      import { BpfObject } from ${JSON.stringify(runtimeUrl)};
      const obj = await (await BpfObject.open(${JSON.stringify(object)})).load();
      const p = obj.program("where"), seen = obj.map("seen");
      const out = {};
      const byName = p.run(new Uint8Array(64), { ctx: { ingressIfindex: ${JSON.stringify(env.a)}, rxQueueIndex: 3 } });
      out.byName = { action: byName.action, ifindex: seen.get(0), queue: seen.get(1) };
      const bytes = new Uint8Array(24);
      new DataView(bytes.buffer).setUint32(12, out.byName.ifindex, true);
      new DataView(bytes.buffer).setUint32(16, 1, true);
      const raw = p.run(new Uint8Array(64), { ctx: bytes });
      out.raw = { action: raw.action, ifindex: seen.get(0), queue: seen.get(1) };
      try { p.run(new Uint8Array(64), { ctx: { ingressIfindex: ${JSON.stringify(env.a)}, rxQueueIndex: 9 } }); } catch (e) { out.badQueue = { code: e.code, message: e.message }; }
      console.log(JSON.stringify(out));
      obj.close();`);
    const r = spawnSync("ip", ["netns", "exec", env.ns, process.execPath, script], { encoding: "utf8", timeout: 30_000 });
    assert.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    const ifindex = Number(env.exec("cat", [`/sys/class/net/${env.a}/ifindex`]).trim());
    assert.equal(out.byName, { action: XDP.DROP, ifindex, queue: 3 });
    assert.equal(out.raw, { action: XDP.PASS, ifindex, queue: 1 });
    assert.is(out.badQueue.code, "EINVAL");
    assert.match(out.badQueue.message, /the kernel refused the ctx \(ingress_ifindex must be an interface of this namespace, rx_queue_index one of its receive queues/);
  }, { queues: 4 });
  // Without ctx the kernel runs on its loopback: queue 0.
  await using obj = await (await BpfObject.open(object)).load();
  obj.program("where").run(new Uint8Array(64));
  assert.is(obj.map("seen").get(1), 0);
});

test("a program pinned on bpffs outlives its object, reopens from the pin, and goes when unpinned", async () => {
  if (!requireKernel("bpffs pinning")) return;
  const { object } = await buildSource("where", whereSource);
  const pin = `/sys/fs/bpf/tsxdp-test-prog-${process.pid}-${crypto.randomBytes(3).toString("hex")}`;
  const obj = await (await BpfObject.open(object)).load();
  try {
    const program = obj.program("where");
    const id = program.info().id;
    program.pin(pin);
    assert.ok(fs.existsSync(pin));
    assert.throws(() => program.pin(pin), (e: BpfError) => e.code === "EEXIST" && /pin program 'where' at/.test(e.message));
    obj.close();
    // Reopened from bpffs: the same kernel program, still runnable.
    {
      using reopened = BpfProgram.openPinned(pin);
      assert.is(reopened.info().id, id, "the pin holds the same program");
      assert.is(reopened.name, "where");
      assert.is(reopened.run(new Uint8Array(64)).action, XDP.PASS);
    }
    assert.throws(() => BpfProgram.openPinned(`${pin}-absent`), (e: BpfError) => e.code === "ENOENT" && /open pinned program/.test(e.message));
    fs.unlinkSync(pin); // unpin
    assert.throws(() => native().objGet(pin), (e: { errno?: number }) => e.errno === 2);
    let gone = false;
    for (let i = 0; i < 50 && !gone; i++) {
      gone = !spawnSync("bpftool", ["prog", "show", "id", String(id)]).stdout.length;
      if (!gone) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(gone, `program ${id} still loaded after its pin was removed`);
  } finally {
    obj.close();
    fs.rmSync(pin, { force: true });
  }
});

test("EPERM as an unprivileged user names CAP_BPF and CAP_NET_ADMIN", async () => {
  if (!requireKernel("unprivileged BPF refusal")) return;
  const { object, dir } = await buildSource("where", whereSource);
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(object, 0o644);
  const script = path.join(dir, "eperm.mjs");
  fs.writeFileSync(script, `
    import { BpfObject } from ${JSON.stringify(runtimeUrl)};
    const obj = await BpfObject.open(${JSON.stringify(object)});
    try { await obj.load(); console.log(JSON.stringify({ loaded: true })); }
    catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, errno: e.errno, message: e.message })); }`);
  fs.chmodSync(script, 0o644);
  const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", process.execPath, script], { encoding: "utf8", timeout: 30_000 });
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
  assert.is(out.name, "BpfError");
  assert.is(out.code, "EPERM");
  assert.is(out.errno, 1);
  assert.match(out.message, /^load BPF object 'where': permission denied — BPF needs root, or CAP_BPF and CAP_NET_ADMIN/);
});

test("50 open → load → run → close cycles leak no file descriptors", async () => {
  if (!requireKernel("BPF_PROG_LOAD")) return;
  const { object } = await buildSource("where", whereSource);
  const fds = () => fs.readdirSync("/proc/self/fd").length;
  // One cycle first: lazily opened things (the addon, libbpf's feature probes) stay open.
  (await (await BpfObject.open(object)).load()).close();
  const before = fds();
  const deadline = Date.now() + 60_000;
  for (let i = 0; i < 50 && Date.now() < deadline; i++) {
    const obj = await (await BpfObject.open(object)).load();
    assert.is(obj.program("where").run(new Uint8Array(64)).action, XDP.PASS);
    obj.map("seen").set(0, i);
    assert.is(obj.map("seen").get(0), i);
    obj.close();
  }
  assert.is(fds(), before, "descriptors open before and after the cycles");
  // A rejected program also gives its descriptors back.
  const { object: rejected } = await buildSource("overread", `import { XdpContext, XDP, EthHdr, csumDiff } from "tsxdp";
export function overread(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.PASS;
  return csumDiff(eth, 64, null, 0, 0) === 0 ? XDP.DROP : XDP.PASS;
}`);
  const beforeRejects = fds();
  for (let i = 0; i < 10; i++) {
    const obj = await BpfObject.open(rejected);
    await obj.load().then(() => assert.unreachable("loaded"), (e) => assert.is((e as Error).name, "VerifierError"));
    obj.close();
  }
  assert.is(fds(), beforeRejects);
});

test("an object built by clang from C loads, with maps and configuration typed from its BTF", async () => {
  if (!requireKernel("BPF_PROG_LOAD")) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-clang-"));
  try {
    const object = path.join(dir, "proto-stats.o");
    const cc = spawnSync("clang-14", ["-O2", "-g", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu", "-c", path.join(repoRoot, "test/fixtures/proto-stats.c"), "-o", object], { encoding: "utf8", timeout: 60_000 });
    assert.is(cc.status, 0, `clang-14 (apt-get install clang-14): ${cc.error?.message ?? cc.stderr}`);
    const obj = await BpfObject.open(object);
    try {
      assert.equal(Object.keys(obj.programs), ["proto_stats"]);
      assert.equal(Object.keys(obj.maps).sort(), ["by_proto", "verdicts"]);
      assert.is(obj.variable("min_len").get(), 14);
      obj.variable("min_len").set(40);
      await obj.load();
      const program = obj.program("proto_stats");
      const ipv4 = build([{ eth: { dst: "02:00:00:00:00:01" } }, { ipv4: { src: "10.0.0.1", dst: "10.0.0.2" } }, { payload: new Uint8Array(26) }]);
      const arp = build([{ eth: { dst: "ff:ff:ff:ff:ff:ff" } }, { arp: {} }]);
      assert.equal([ipv4.length, arp.length], [60, 42]);
      assert.is(program.run(ipv4).action, XDP.PASS);
      assert.is(program.run(ipv4).action, XDP.PASS);
      assert.is(program.run(arp).action, XDP.PASS);
      assert.is(program.run(new Uint8Array(30)).action, XDP.DROP, "shorter than min_len, as configured before load");
      const byProto = obj.map("by_proto");
      assert.equal(byProto.get(0x0800), { packets: 2n, bytes: 120, last_len: 60, first_byte: 2, flags: Uint8Array.of(1, 2, 3) });
      assert.equal(byProto.get(0x0806), { packets: 1n, bytes: 42, last_len: 42, first_byte: 0xff, flags: Uint8Array.of(1, 2, 3) });
      assert.is(byProto.get(0x86dd), undefined);
      byProto.set(0x86dd, { packets: 5n, bytes: 1, last_len: 2, first_byte: 3, flags: Uint8Array.of(4, 5, 6) });
      assert.equal(new Set(byProto.keys()), new Set([0x0800, 0x0806, 0x86dd]));
      const verdicts = obj.map("verdicts") as import("../../runtime/index.js").BpfPerCpuMap<number, bigint>;
      assert.is(verdicts.sum(XDP.PASS), 3n);
      assert.is(verdicts.sum(XDP.DROP), 1n);
    } finally {
      obj.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
