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
import { buildSource, clangFixture } from "../lib/build.js";
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
  await withVethNamespace(
    (env) => {
      const script = path.join(dir, "where.mjs");
      fs.writeFileSync(
        script,
        `
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
      obj.close();`,
      );
      const r = spawnSync("ip", ["netns", "exec", env.ns, process.execPath, script], { encoding: "utf8", timeout: 30_000 });
      assert.is(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
      const ifindex = Number(env.exec("cat", [`/sys/class/net/${env.a}/ifindex`]).trim());
      assert.equal(out.byName, { action: XDP.DROP, ifindex, queue: 3 });
      assert.equal(out.raw, { action: XDP.PASS, ifindex, queue: 1 });
      assert.is(out.badQueue.code, "EINVAL");
      assert.match(
        out.badQueue.message,
        /the kernel refused the ctx \(ingress_ifindex must be an interface of this namespace, rx_queue_index one of its receive queues/,
      );
    },
    { queues: 4 },
  );
  // Without ctx the kernel runs on its loopback: queue 0.
  await using obj = await (await BpfObject.open(object)).load();
  obj.program("where").run(new Uint8Array(64));
  assert.is(obj.map("seen").get(1), 0);
});

test("numeric arguments are checked: a fraction or a number past the field's range is an error, never another interface or count", async () => {
  if (!requireKernel("XDP attach and BPF_PROG_TEST_RUN")) return;
  const { object, dir } = await buildSource("where", whereSource);
  fs.chmodSync(dir, 0o755);
  // attach(2 ** 32 + ifindex) used to attach to ifindex: the script runs in a namespace of
  // the test's own, where that is the test's veth (and 1 is the namespace's loopback).
  await withVethNamespace((env) => {
    const script = path.join(dir, "numbers.mjs");
    fs.writeFileSync(
      script,
      `
      import { BpfObject, ifindexOf } from ${JSON.stringify(runtimeUrl)};
      const obj = await (await BpfObject.open(${JSON.stringify(object)})).load();
      const p = obj.program("where");
      const veth = ifindexOf(${JSON.stringify(env.a)});
      const packet = new Uint8Array(64);
      const failure = (fn) => { try { fn(); return "no error"; } catch (e) { return [e.name, e.code, e.message]; } };
      console.log(JSON.stringify({
        fraction: failure(() => p.attach(1.5)),
        wrapped: failure(() => p.attach(2 ** 32 + veth)),
        negative: failure(() => p.attach(-1)),
        nan: failure(() => p.attach(NaN)),
        object: failure(() => p.attach({})),
        repeatWrapped: failure(() => p.run(packet, { repeat: 2 ** 32 + 3 })),
        repeatFraction: failure(() => p.run(packet, { repeat: 2.5 })),
        queueNaN: failure(() => p.run(packet, { ctx: { rxQueueIndex: NaN } })),
        ifindexFraction: failure(() => p.run(packet, { ctx: { ingressIfindex: veth + 0.5 } })),
        flags: failure(() => p.run(packet, { flags: 2 ** 32 })),
        ctx: failure(() => p.run(packet, { ctx: new Uint8Array(6) })),
        ctxLong: failure(() => p.run(packet, { ctx: new Uint8Array(28) })),
        ctxShort: p.run(packet, { ctx: new Uint8Array(4) }).action,
      }));
      obj.close();`,
    );
    const r = spawnSync("ip", ["netns", "exec", env.ns, process.execPath, script], { encoding: "utf8", timeout: 30_000 });
    assert.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    const range = (what: string, pattern: RegExp) => {
      assert.is(out[what][0], "RangeError", `${what}: ${out[what]}`);
      assert.is(out[what][1], "EINVAL");
      assert.match(out[what][2], pattern);
    };
    range("fraction", /^attach\(\): interface index must be an integer from 1 to 2147483647, not 1.5$/);
    range("wrapped", /not 4294967\d+$/);
    range("negative", /not -1$/);
    range("nan", /not NaN$/);
    assert.equal(out.object.slice(0, 2), ["TypeError", "EINVAL"]);
    range("repeatWrapped", /^run\(\): repeat must be an integer from 1 to 4294967295, not 4294967299$/);
    range("repeatFraction", /repeat .* not 2.5$/);
    range("queueNaN", /^run\(\): ctx.rxQueueIndex must be an integer from 0 to 4294967295, not NaN$/);
    range("ifindexFraction", /^run\(\): ctx.ingressIfindex must be an integer/);
    range("flags", /^run\(\): flags must be an integer from 0 to 4294967295/);
    range("ctx", /a raw ctx is a struct xdp_md: up to 24 bytes of whole u32 fields .* not 6 bytes/);
    range("ctxLong", /not 28 bytes/);
    assert.is(out.ctxShort, XDP.PASS, "a ctx of only data: the rest are zero fields, data_end is filled in");
    assert.not.match(env.exec("ip", ["link", "show"]), /xdp/, "nothing was attached anywhere in the namespace");
  });
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
    assert.throws(
      () => program.pin(pin),
      (e: BpfError) => e.code === "EEXIST" && /pin program 'where' at/.test(e.message),
    );
    obj.close();
    // Reopened from bpffs: the same kernel program, still runnable.
    {
      using reopened = BpfProgram.openPinned(pin);
      assert.is(reopened.info().id, id, "the pin holds the same program");
      assert.is(reopened.name, "where");
      assert.is(reopened.run(new Uint8Array(64)).action, XDP.PASS);
    }
    assert.throws(
      () => BpfProgram.openPinned(`${pin}-absent`),
      (e: BpfError) => e.code === "ENOENT" && /open pinned program/.test(e.message),
    );
    fs.unlinkSync(pin); // unpin
    assert.throws(
      () => native().objGet(pin),
      (e: { errno?: number }) => e.errno === 2,
    );
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
  // The checkout may live under a folder 'nobody' cannot enter (a clone in /root, mktemp -d):
  // the unprivileged process gets its own readable copy of the runtime and the addon.
  const runtimeCopy = path.join(dir, "dist", "runtime");
  fs.cpSync(path.join(repoRoot, "dist", "runtime"), runtimeCopy, { recursive: true });
  fs.mkdirSync(path.join(dir, "build", "Release"), { recursive: true });
  fs.copyFileSync(path.join(repoRoot, "build", "Release", "tsxdp_bpf.node"), path.join(dir, "build", "Release", "tsxdp_bpf.node"));
  // The runtime reads log tables with elfy (and its one dependency).
  for (const pkg of ["elfy", "endian-reader"])
    fs.cpSync(path.join(repoRoot, "node_modules", pkg), path.join(dir, "node_modules", pkg), { recursive: true });
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
  spawnSync("chmod", ["-R", "a+rX", dir]);
  const script = path.join(dir, "eperm.mjs");
  fs.writeFileSync(
    script,
    `
    import { BpfObject } from ${JSON.stringify(new URL(`file://${runtimeCopy}/index.js`).href)};
    const obj = await BpfObject.open(${JSON.stringify(object)});
    try { await obj.load(); console.log(JSON.stringify({ loaded: true })); }
    catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, errno: e.errno, message: e.message })); }`,
  );
  fs.chmodSync(script, 0o644);
  const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", process.execPath, script], {
    encoding: "utf8",
    timeout: 30_000,
  });
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
  const { object: rejected } = await buildSource(
    "overread",
    `import { XdpContext, XDP, EthHdr, csumDiff } from "tsxdp";
export function overread(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.PASS;
  return csumDiff(eth, 64, null, 0, 0) === 0 ? XDP.DROP : XDP.PASS;
}`,
  );
  const beforeRejects = fds();
  for (let i = 0; i < 10; i++) {
    const obj = await BpfObject.open(rejected);
    await obj.load().then(
      () => assert.unreachable("loaded"),
      (e) => assert.is((e as Error).name, "VerifierError"),
    );
    obj.close();
  }
  assert.is(fds(), beforeRejects);
});

test("an object built by clang from C loads, with maps and configuration typed from its BTF", async () => {
  if (!requireKernel("BPF_PROG_LOAD")) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-clang-"));
  try {
    const object = path.join(dir, "proto-stats.o");
    const cc = clangFixture("proto-stats.c", object);
    assert.is(cc.status, 0, `clang-14 (apt-get install clang-14): ${cc.error?.message ?? cc.stderr}`);
    const obj = await BpfObject.open(object);
    try {
      assert.equal(Object.keys(obj.programs), ["proto_stats"]);
      assert.equal(Object.keys(obj.maps).sort(), ["by_proto", "verdicts"]);
      assert.is(obj.variable("min_len").get(), 14);
      obj.variable("min_len").set(40);
      await obj.load();
      const program = obj.program("proto_stats");
      const ipv4 = build([
        { eth: { dst: "02:00:00:00:00:01" } },
        { ipv4: { src: "10.0.0.1", dst: "10.0.0.2" } },
        { payload: new Uint8Array(26) },
      ]);
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
