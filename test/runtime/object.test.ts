// BpfObject against the real kernel: load/run/unload, typed maps through BTF codecs,
// errors for bad input, verifier rejections.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import { BpfObject, BpfError, VerifierError, XDP, ipv4, mac } from "../../runtime/index.js";
import { requireKernel } from "../lib/kernel-env.js";
import { buildSource } from "../lib/build.js";
import { repoRoot } from "../lib/paths.js";

const shapes = `import { XdpContext, XDP, HashMap, ArrayMap, PerCpuArray, PerCpuHashMap, LruHashMap, LpmTrie, FixedArray,
  be16, be32, u8, u16, u32, u64, i8, i16, i32, i64, bool, config, global } from "tsxdp";
interface Key { proto: u8; port: be16; addr: be32; }
interface Value { packets: u64; bytes: u32; mac: FixedArray<u8, 6>; /** @bits 3 */ prio: u8; /** @bits 5 */ class: u8; signed: i16; words: FixedArray<u16, 3>; }
interface Prefix { prefixlen: u32; addr: be32; }
interface Widths { a: u8; b: u16; c: u32; d: u64; e: i8; f: i16; g: i32; h: i64; i: bool; }
export const structs = new HashMap<Key, Value>({ maxEntries: 16 });
export const widths = new ArrayMap<Widths>({ maxEntries: 2 });
export const counters = new PerCpuArray<u64>({ maxEntries: 4 });
export const perCpuStructs = new PerCpuHashMap<u32, Value>({ maxEntries: 4 });
export const recent = new LruHashMap<be32, u64>({ maxEntries: 8 });
export const routes = new LpmTrie<Prefix, u32>({ maxEntries: 8 });
export const LIMIT = config<u32>(100);
export const seen = global<u64>(0);
export function noop(ctx: XdpContext): XDP {
  seen.value += 1;
  return ctx.len > LIMIT ? XDP.DROP : XDP.PASS;
}
`;

async function shapesObject(): Promise<BpfObject> {
  const { object } = await buildSource("shapes", shapes);
  return (await BpfObject.open(object)).load();
}

test("every key/value shape round-trips through the kernel", async () => {
  if (!requireKernel("BPF maps")) return;
  const obj = await shapesObject();
  try {
    const key = { proto: 17, port: 53, addr: ipv4("10.1.2.3") };
    const value = { packets: 2n ** 40n + 7n, bytes: 1500, mac: mac("02:00:00:00:00:01"), prio: 5, class: 31, signed: -300, words: [1, 2, 65535] };
    const structs = obj.map("structs");
    structs.set(key, value);
    assert.equal(structs.get(key), value);
    assert.is(structs.get({ ...key, port: 54 }), undefined);
    assert.ok(structs.has(key));
    assert.equal([...structs.keys()], [key]);
    assert.is(structs.size, 1);

    const widths = obj.map("widths");
    const w = { a: 255, b: 65535, c: 4294967295, d: 2n ** 64n - 1n, e: -128, f: -32768, g: -2147483648, h: -(2n ** 63n), i: true };
    widths.set(1, w);
    assert.equal(widths.get(1), w);
    assert.equal(widths.get(0), { a: 0, b: 0, c: 0, d: 0n, e: 0, f: 0, g: 0, h: 0n, i: false });

    const counters = obj.map("counters") as import("../../runtime/index.js").BpfPerCpuMap<number, bigint>;
    counters.set(XDP.DROP, [5n].concat(Array(Number(counters.get(0)!.length) - 1).fill(5n)));
    const perCpu = counters.get(XDP.DROP)!;
    assert.ok(perCpu.length >= 1 && perCpu.every((v) => v === 5n));
    assert.is(counters.sum(XDP.DROP), 5n * BigInt(perCpu.length));

    const perCpuStructs = obj.map("perCpuStructs") as import("../../runtime/index.js").BpfPerCpuMap<number, typeof value>;
    const each = Array.from({ length: perCpu.length }, (_, cpu) => ({ ...value, packets: BigInt(cpu), bytes: cpu * 10 }));
    perCpuStructs.set(9, each);
    assert.equal(perCpuStructs.get(9), each);
    const summed = perCpuStructs.sum(9)!;
    assert.is(summed.packets, BigInt((perCpu.length * (perCpu.length - 1)) / 2));
    assert.is(summed.bytes, (10 * perCpu.length * (perCpu.length - 1)) / 2);
    assert.equal(summed.words, value.words.map((w) => w * perCpu.length), "arrays of numbers add up element by element");
    assert.equal(summed.mac, value.mac, "byte arrays are not added");

    const lpm = obj.map("routes");
    lpm.set({ prefixlen: 24, addr: ipv4("192.168.7.0") }, 7);
    assert.is(lpm.get({ prefixlen: 32, addr: ipv4("192.168.7.99") }), 7, "longest-prefix match");

    const recent = obj.map("recent");
    for (let i = 0; i < 20; i++) recent.set(ipv4(`10.0.0.${i}`), BigInt(i));
    assert.ok(recent.size <= 8, "LRU evicts");
  } finally {
    obj.close();
  }
});

test("config before load and globals after run", async () => {
  if (!requireKernel("BPF_PROG_TEST_RUN")) return;
  const { object } = await buildSource("shapes", shapes);
  const obj = await BpfObject.open(object);
  try {
    assert.is(obj.variable("LIMIT").get(), 100);
    obj.variable("LIMIT").set(60);
    await obj.load();
    assert.throws(() => obj.variable("LIMIT").set(1), /configuration \(\.rodata\): set it before load/);
    const prog = obj.program("noop");
    assert.is(prog.run(new Uint8Array(64)).action, XDP.DROP, "64 > 60");
    assert.is(prog.run(new Uint8Array(50)).action, XDP.PASS);
    assert.is(obj.variable("seen").get(), 2n);
    obj.variable("seen").set(40n);
    prog.run(new Uint8Array(20));
    assert.is(obj.variable("seen").get(), 41n);
  } finally {
    obj.close();
  }
});

test("test-run returns the verdict, output bytes and duration", async () => {
  if (!requireKernel("BPF_PROG_TEST_RUN")) return;
  const { object } = await buildSource("swap", `import { XdpContext, XDP, EthHdr } from "tsxdp";
export function swap(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.ABORTED;
  for (let i = 0; i < 6; i++) { const t = eth.dst[i]; eth.dst[i] = eth.src[i]; eth.src[i] = t; }
  return XDP.TX;
}`);
  await using obj = await (await BpfObject.open(object)).load();
  const packet = Uint8Array.from({ length: 60 }, (_, i) => i);
  const r = obj.program("swap").run(packet);
  assert.is(r.action, XDP.TX);
  assert.equal([...r.packet.subarray(0, 12)], [6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5]);
  assert.equal([...r.packet.subarray(12)], [...packet.subarray(12)]);
  // With repeat, the kernel runs the program again on the same buffer: 100 swaps = none.
  const repeated = obj.program("swap").run(packet, { repeat: 100 });
  assert.equal([...repeated.packet], [...packet]);
  assert.ok(repeated.durationNs > 0);
  assert.is(obj.program("swap").run(new Uint8Array(14)).action, XDP.TX);
});

test("a verifier rejection is a VerifierError with the log and .xdp.ts lines", async () => {
  if (!requireKernel("BPF_PROG_LOAD")) return;
  const { object } = await buildSource("overread", `import { XdpContext, XDP, EthHdr, csumDiff } from "tsxdp";
export function overread(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.PASS;
  return csumDiff(eth, 64, null, 0, 0) === 0 ? XDP.DROP : XDP.PASS;
}`);
  const obj = await BpfObject.open(object);
  try {
    await obj.load();
    assert.unreachable("load should fail");
  } catch (error) {
    assert.instance(error, VerifierError);
    const v = error as VerifierError;
    assert.is(v.program, "overread");
    assert.match(v.message, /R1 offset is outside of the packet/);
    assert.match(v.log, /@ overread\.xdp\.ts:5/);
  } finally {
    obj.close();
  }
});

test("bad input gives errors, never a crash", async () => {
  if (!requireKernel("BPF objects")) return;
  const { object } = await buildSource("shapes", shapes);
  const elf = new Uint8Array(fs.readFileSync(object));
  for (const bytes of [elf.subarray(0, 64), elf.subarray(0, elf.length / 2), Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff), new Uint8Array(10)]) {
    try {
      const o = await BpfObject.open(bytes);
      await o.load();
      o.close();
      assert.unreachable("garbage loaded");
    } catch (error) {
      assert.instance(error, BpfError);
    }
  }
  let notFound: unknown;
  try {
    await BpfObject.open(path.join(repoRoot, "no-such-file.o"));
  } catch (error) {
    notFound = error;
  }
  assert.instance(notFound, BpfError);
  assert.is((notFound as BpfError).code, "ENOENT");

  const obj = await shapesObject();
  assert.throws(() => obj.map("nope"), (e: BpfError) => e.code === "ENOENT" && /no map 'nope'.*structs/.test(e.message));
  assert.throws(() => obj.program("nope"), (e: BpfError) => e.code === "ENOENT");
  assert.throws(() => obj.map("structs").set({ proto: 300 } as never, {} as never), /bad key.*300 does not fit u8/);
  assert.throws(() => obj.map("structs").get("text" as never), /bad key/);
  assert.throws(() => obj.map("widths").delete(0), /array: its entries cannot be deleted/);
  obj.close();
  obj.close();
  assert.throws(() => obj.map("structs").get({ proto: 1, port: 2, addr: 3 }), (e: BpfError) => e.code === "EBADF");
  assert.throws(() => obj.program("noop").run(new Uint8Array(64)), (e: BpfError) => e.code === "EBADF");
});

test.run();
