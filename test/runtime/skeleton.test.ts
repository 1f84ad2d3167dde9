// Generated skeletons against the real kernel: every key/value shape round-trips through
// skel.maps (integer widths signed and unsigned, byte order, bool, nested structs with
// padding, fixed arrays of bytes, u16 and structs, per-CPU scalars and structs with sum,
// struct keys); config set between open() and load() changes what the program does;
// globals (scalar and struct) pass values both ways; pinMaps keeps data across loads.
import { test } from "uvu";
import * as assert from "uvu/assert";
import crypto from "node:crypto";
import fs from "node:fs";
import { XDP, ipv4, mac } from "../../runtime/index.js";
import { requireKernel } from "../lib/kernel-env.js";
import { buildSkeleton } from "../lib/build.js";

const source = `import { XdpContext, XDP, HashMap, ArrayMap, PerCpuArray, PerCpuHashMap, FixedArray, config, global,
  htons, ntohs, atomicAdd, be16, be32, be64, u8, u16, u32, u64, i8, i16, i32, i64, bool } from "tsxdp";
interface Widths { a: u8; b: u16; c: u32; d: u64; e: i8; f: i16; g: i32; h: i64; i: bool; }
/** proto at 0, port at 2 (1 byte of padding), addr at 4, tag at 8: 16 bytes. */
interface FlowKey { proto: u8; port: be16; addr: be32; tag: be64; }
interface Inner { a: u8; b: u64; }
/** Padding after head, inside Inner, after tail and flag. */
interface Nested { head: u8; inner: Inner; tail: u16; mac: FixedArray<u8, 6>; words: FixedArray<u16, 3>; pairs: FixedArray<Inner, 2>; flag: bool; }
interface Counters { packets: u64; bytes: u32; }
interface Limits { maxLen: u16; port: be16; verdictOver: u32; name: FixedArray<u8, 4>; }
interface Mirror { input: u32; output: u64; port: u16; }
export const widths = new ArrayMap<Widths>({ maxEntries: 2 });
export const flows = new HashMap<FlowKey, Nested>({ maxEntries: 8 });
export const bytes8 = new HashMap<u8, i8>({ maxEntries: 4 });
export const bytes16 = new HashMap<u16, i16>({ maxEntries: 4 });
export const bytes32 = new HashMap<i32, u32>({ maxEntries: 4 });
export const bytes64 = new HashMap<u64, i64>({ maxEntries: 4 });
export const network = new HashMap<be16, be32>({ maxEntries: 4 });
export const network64 = new HashMap<be64, u8>({ maxEntries: 4 });
export const perCpuScalar = new PerCpuArray<u64>({ maxEntries: 2 });
export const perCpuStruct = new PerCpuHashMap<u32, Counters>({ maxEntries: 4 });
export const kept = new HashMap<u32, u32>({ maxEntries: 4 });
export const LIMIT = config<u32>(1000);
export const limits = config<Limits>({ maxLen: 100, port: htons(53), verdictOver: 1, name: [0x61, 0x62] });
export const seen = global<u64>(0);
export const mode = global<u32>(0);
export const mirror = global<Mirror>();
export const hist = global<FixedArray<u32, 4>>([1, 2, 3, 4]);
export const sawBig = global<bool>(false);
export const forceDrop = global<bool>(false);
export function probe(ctx: XdpContext): XDP {
  seen.value += 1;
  const c = perCpuStruct.lookup(7);
  if (c !== null) { c.packets += 1; c.bytes += ctx.len; }
  const s = perCpuScalar.lookup(1);
  if (s !== null) s.value += 3;
  mirror.output = u64(mirror.input) * 2;
  mirror.port = ntohs(limits.port);
  hist[2] += 10;
  if (ctx.len > 100) sawBig.value = true;
  if (forceDrop.value) return XDP.DROP;
  if (mode.value === 1) return XDP.TX;
  if (ctx.len > LIMIT) return XDP.ABORTED;
  if (ctx.len > limits.maxLen) return limits.verdictOver;
  return XDP.PASS;
}
`;

type Skel = Record<string, any>;
let built: Promise<{ module: Skel; dir: string }> | undefined;
const shapes = () => (built ??= buildSkeleton("shapes", source));

test("every key/value shape round-trips through the kernel via the skeleton", async () => {
  if (!requireKernel("BPF maps")) return;
  const { module } = await shapes();
  await using skel = await module.Shapes.load();
  const m = skel.maps;

  const w = { a: 255, b: 65535, c: 4294967295, d: 2n ** 64n - 1n, e: -128, f: -32768, g: -2147483648, h: -(2n ** 63n), i: true };
  m.widths.set(1, w);
  assert.equal(m.widths.get(1), w);
  assert.equal(m.widths.get(0), { a: 0, b: 0, c: 0, d: 0n, e: 0, f: 0, g: 0, h: 0n, i: false });
  assert.throws(() => m.widths.set(0, { ...w, a: 256 }), /256 does not fit u8/);

  const key = { proto: 17, port: 8080, addr: ipv4("10.1.2.3"), tag: 0x0102030405060708n };
  const value = {
    head: 0xaa,
    inner: { a: 1, b: 2n ** 63n + 5n },
    tail: 0xbeef,
    mac: mac("02:00:00:00:00:01"),
    words: [1, 2, 65535],
    pairs: [
      { a: 3, b: 4n },
      { a: 5, b: 6n },
    ],
    flag: true,
  };
  m.flows.set(key, value);
  assert.equal(m.flows.get(key), value);
  assert.equal([...m.flows.keys()], [key]);
  assert.is(m.flows.get({ ...key, tag: 1n }), undefined, "every key field takes part");

  for (const [name, k, v] of [
    ["bytes8", 255, -128],
    ["bytes16", 65535, -32768],
    ["bytes32", -2147483648, 4294967295],
    ["bytes64", 2n ** 64n - 1n, -(2n ** 63n)],
  ] as const) {
    m[name].set(k, v);
    assert.equal(m[name].get(k), v, name);
    assert.equal([...m[name].entries()], [[k, v]], name);
  }
  m.network.set(0x1234, 0xa0b0c0d0);
  assert.is(m.network.get(0x1234), 0xa0b0c0d0);
  m.network64.set(0x0102030405060708n, 9);
  assert.is(m.network64.get(0x0102030405060708n), 9);

  const cpus = m.perCpuScalar.get(0).length;
  assert.ok(cpus >= 1);
  m.perCpuScalar.set(
    0,
    Array.from({ length: cpus }, (_, i) => BigInt(i + 1)),
  );
  assert.equal(
    m.perCpuScalar.get(0),
    Array.from({ length: cpus }, (_, i) => BigInt(i + 1)),
  );
  assert.is(m.perCpuScalar.sum(0), BigInt((cpus * (cpus + 1)) / 2));

  const counters = Array.from({ length: cpus }, (_, i) => ({ packets: BigInt(i), bytes: 100 * i }));
  m.perCpuStruct.set(3, counters);
  assert.equal(m.perCpuStruct.get(3), counters);
  assert.equal(m.perCpuStruct.sum(3), { packets: BigInt((cpus * (cpus - 1)) / 2), bytes: (100 * cpus * (cpus - 1)) / 2 });

  // Written by the program, read through the skeleton.
  m.perCpuStruct.set(
    7,
    Array.from({ length: cpus }, () => ({ packets: 0n, bytes: 0 })),
  );
  for (let i = 0; i < 3; i++) skel.programs.probe.run(new Uint8Array(60));
  assert.equal(m.perCpuStruct.sum(7), { packets: 3n, bytes: 180 });
  assert.is(m.perCpuScalar.sum(1), 9n);
});

test("config set between open() and load() changes the program's verdicts", async () => {
  if (!requireKernel("BPF_PROG_TEST_RUN")) return;
  const { module } = await shapes();
  {
    await using skel = await module.Shapes.load();
    assert.equal(
      skel.config.limits,
      { maxLen: 100, port: 53, verdictOver: 1, name: Uint8Array.from([0x61, 0x62, 0, 0]) },
      "defaults from the source, port in host order",
    );
    assert.is(skel.programs.probe.run(new Uint8Array(200)).action, XDP.DROP, "200 > maxLen 100 → verdictOver (DROP)");
    assert.is(skel.programs.probe.run(new Uint8Array(60)).action, XDP.PASS);
    assert.throws(() => {
      skel.config.LIMIT = 5;
    }, /configuration \(\.rodata\): set it before load/);
  }
  const skel = await module.Shapes.open();
  try {
    skel.config.limits = { maxLen: 40, port: 8080, verdictOver: XDP.TX, name: Uint8Array.from([1, 2, 3, 4]) };
    skel.config.LIMIT = 150;
    assert.is(skel.config.LIMIT, 150);
    await skel.load();
    assert.equal(skel.config.limits, { maxLen: 40, port: 8080, verdictOver: XDP.TX, name: Uint8Array.from([1, 2, 3, 4]) });
    const run = (len: number) => skel.programs.probe.run(new Uint8Array(len)).action;
    assert.is(run(30), XDP.PASS, "30 ≤ maxLen 40");
    assert.is(run(60), XDP.TX, "60 > maxLen 40 → the configured verdict");
    assert.is(run(200), XDP.ABORTED, "200 > LIMIT 150");
    assert.is(skel.globals.mirror.port, 8080, "the program read the be16 config field and converted it with ntohs");
  } finally {
    skel.close();
  }
});

test("globals: the program's writes are read from Node, Node's writes steer the program", async () => {
  if (!requireKernel("BPF_PROG_TEST_RUN")) return;
  const { module } = await shapes();
  await using skel = await module.Shapes.load();
  const g = skel.globals;
  assert.is(g.seen, 0n);
  assert.equal(g.hist, [1, 2, 3, 4], "initial FixedArray from the source");
  assert.equal(g.mirror, { input: 0, output: 0n, port: 0 });
  skel.programs.probe.run(new Uint8Array(60));
  assert.is(g.seen, 1n);
  assert.equal(g.hist, [1, 2, 13, 4]);
  g.mirror = { input: 21, output: 0n, port: 0 };
  g.mode = 1;
  assert.is(skel.programs.probe.run(new Uint8Array(60)).action, XDP.TX, "mode 1 set from Node");
  assert.equal(g.mirror, { input: 21, output: 42n, port: 53 });
  g.seen = 100n;
  g.hist = [0, 0, 0, 0];
  skel.programs.probe.run(new Uint8Array(60));
  assert.is(g.seen, 101n);
  assert.equal(g.hist, [0, 0, 10, 0]);
  assert.throws(() => {
    g.mirror = { input: -1, output: 0n, port: 0 };
  }, /field 'input'.*-1 does not fit u32/);
  assert.throws(
    () => {
      (g as Record<string, unknown>).nope = 1;
    },
    TypeError,
    "the globals object is sealed",
  );

  // bool globals: written by the program, and steering it from Node.
  assert.is(g.sawBig, false);
  skel.programs.probe.run(new Uint8Array(200));
  assert.is(g.sawBig, true, "the program stored true");
  g.mode = 0;
  g.forceDrop = true;
  assert.is(skel.programs.probe.run(new Uint8Array(60)).action, XDP.DROP, "forceDrop set from Node");
  g.forceDrop = false;
  assert.is(skel.programs.probe.run(new Uint8Array(60)).action, XDP.PASS);
});

test("pinMaps keeps map data across two loads of the skeleton", async () => {
  if (!requireKernel("bpffs pinning")) return;
  const { module } = await shapes();
  const dir = `/sys/fs/bpf/tsxdp-skel-${process.pid}-${crypto.randomBytes(3).toString("hex")}`;
  try {
    {
      await using first = await module.Shapes.load({ pinMaps: dir });
      first.maps.kept.set(7, 4242);
      first.maps.bytes8.set(1, -1);
    }
    assert.ok(fs.existsSync(`${dir}/kept`), "pinned by name");
    await using second = await module.Shapes.load({ pinMaps: dir });
    assert.is(second.maps.kept.get(7), 4242, "the second load reuses the pinned map");
    assert.is(second.maps.bytes8.get(1), -1, "every map is pinned under pinMaps");
    await using unpinned = await module.Shapes.load();
    assert.is(unpinned.maps.kept.get(7), undefined, "without pinMaps a load gets fresh maps");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.after(async () => {
  if (built) fs.rmSync((await built).dir, { recursive: true, force: true });
});

test.run();
