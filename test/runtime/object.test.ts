// BpfObject against the real kernel: load/run/unload, typed maps through BTF codecs,
// errors for bad input, verifier rejections.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import elfy from "elfy";
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
    const value = {
      packets: 2n ** 40n + 7n,
      bytes: 1500,
      mac: mac("02:00:00:00:00:01"),
      prio: 5,
      class: 31,
      signed: -300,
      words: [1, 2, 65535],
    };
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
    assert.equal(
      summed.words,
      value.words.map((w) => w * perCpu.length),
      "arrays of numbers add up element by element",
    );
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
  const { object } = await buildSource(
    "swap",
    `import { XdpContext, XDP, EthHdr } from "tsxdp";
export function swap(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.ABORTED;
  for (let i = 0; i < 6; i++) { const t = eth.dst[i]; eth.dst[i] = eth.src[i]; eth.src[i] = t; }
  return XDP.TX;
}`,
  );
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
  const { object } = await buildSource(
    "overread",
    `import { XdpContext, XDP, EthHdr, csumDiff } from "tsxdp";
export function overread(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.PASS;
  return csumDiff(eth, 64, null, 0, 0) === 0 ? XDP.DROP : XDP.PASS;
}`,
  );
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
  for (const bytes of [
    elf.subarray(0, 64),
    elf.subarray(0, elf.length / 2),
    Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff),
    new Uint8Array(10),
  ]) {
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
  assert.throws(
    () => obj.map("nope"),
    (e: BpfError) => e.code === "ENOENT" && /no map 'nope'.*structs/.test(e.message),
  );
  assert.throws(
    () => obj.program("nope"),
    (e: BpfError) => e.code === "ENOENT",
  );
  assert.throws(() => obj.map("structs").set({ proto: 300 } as never, {} as never), /bad key.*300 does not fit u8/);
  assert.throws(() => obj.map("structs").get("text" as never), /bad key/);
  assert.throws(() => obj.map("widths").delete(0), /array: its entries cannot be deleted/);
  obj.close();
  obj.close();
  assert.throws(
    () => obj.map("structs").get({ proto: 1, port: 2, addr: 3 }),
    (e: BpfError) => e.code === "EBADF",
  );
  assert.throws(
    () => obj.program("noop").run(new Uint8Array(64)),
    (e: BpfError) => e.code === "EBADF",
  );
});

/** The error `fn` throws (fails the test when it throws nothing). */
function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  assert.unreachable("no error thrown");
  throw new Error("unreachable");
}

test("handles of a closed object throw EBADF and never touch the object that reuses their descriptors", async () => {
  if (!requireKernel("BPF maps")) return;
  const { object } = await buildSource("shapes", shapes);
  const a = await (await BpfObject.open(object)).load();
  const seenA = a.variable<bigint>("seen");
  const widthsA = a.map("widths");
  widthsA.get(0); // its native handle is open
  const structsA = a.map("structs"); // never used: no native handle yet
  const programA = a.program("noop");
  a.close();
  // The kernel gives the next object the numbers A's descriptors had.
  await using b = await (await BpfObject.open(object)).load();
  const closed = (e: Error & { code?: string }) =>
    e instanceof BpfError && e.code === "EBADF" && /BPF object 'shapes' is closed/.test(e.message);
  assert.ok(closed(thrown(() => seenA.set(777n))), "a global's setter");
  assert.ok(closed(thrown(() => seenA.get())), "a global's getter");
  assert.ok(closed(thrown(() => widthsA.set(0, { a: 7 }))));
  assert.ok(closed(thrown(() => structsA.set({ proto: 1, port: 2, addr: 3 }, {}))));
  assert.ok(closed(thrown(() => programA.run(new Uint8Array(64)))));
  assert.ok(closed(thrown(() => a.variable("LIMIT").set(5))), "a config setter");
  let loadError: unknown;
  await a.load().catch((e) => (loadError = e));
  assert.ok(loadError && closed(loadError as Error), "load() after close()");
  assert.is(b.variable("seen").get(), 0n, "B's global untouched");
  assert.is((b.map("widths").get(0) as { a: number }).a, 0, "B's map untouched");
  assert.is(b.map("structs").size, 0);
});

test("values are encoded strictly: wrong types and unknown fields are TypeErrors, sizes must match, nothing is written", async () => {
  if (!requireKernel("BPF maps")) return;
  await using obj = await shapesObject();
  const widths = obj.map("widths");
  const structs = obj.map("structs");
  const w = { a: 1, b: 2, c: 3, d: 4n, e: -1, f: -2, g: -3, h: -4n, i: true };
  const bad = (fn: () => unknown, kind: ErrorConstructor, pattern: RegExp) => {
    const e = thrown(fn);
    assert.instance(e, kind, e.message);
    assert.is(e.code, "EINVAL", e.message);
    assert.match(e.message, pattern);
  };
  bad(() => widths.set(1, { ...w, i: "false" }), TypeError, /map 'widths': bad value.*field 'i'.*expected a boolean.*the string "false"/);
  bad(() => widths.set(1, { ...w, i: 1 }), TypeError, /field 'i'.*expected a boolean/);
  assert.is((widths.get(1) as { i: boolean }).i, false, "nothing written");
  const key = { proto: 17, port: 53, addr: 1 };
  const value = { packets: 1n, bytes: 2, mac: new Uint8Array(6), prio: 1, class: 2, signed: 3, words: [1, 2, 3] };
  bad(
    () => structs.set({ aa: 1, prot: 80 }, value),
    TypeError,
    /bad key.*struct Key has no fields 'aa', 'prot' \(its fields: proto, port, addr\)/,
  );
  bad(() => structs.set(key, { ...value, packet: 5n }), TypeError, /struct Value has no field 'packet'/);
  bad(() => structs.set(key, { ...value, mac: new Uint8Array(2) }), RangeError, /field 'mac'.*Uint8Array of 6 bytes, got 2 bytes/);
  bad(() => structs.set(key, { ...value, words: [1, 2] }), RangeError, /field 'words'.*array of 3 u16, got 2 elements/);
  bad(() => structs.set(key, { ...value, words: [1, 2, "3"] }), TypeError, /field 'words'.*element 2.*expected u16/);
  bad(
    () => structs.set(key, { ...value, prio: "1" }),
    TypeError,
    /field 'prio' of struct Value: expected u8 \(a number\), got the string "1"/,
  );
  bad(() => structs.setMany(42 as never), TypeError, /setMany\(\) takes an iterable of \[key, value\] pairs/);
  bad(() => structs.setMany([key] as never), TypeError, /setMany\(\) entry 0 is not a \[key, value\] pair/);
  bad(() => structs.getMany("ab" as never), TypeError, /getMany\(\) takes an array of keys/);
  bad(() => structs.deleteMany(7 as never), TypeError, /deleteMany\(\) takes an array of keys/);
  bad(() => structs.set(key, value, 1.5), RangeError, /flags must be an integer from 0 to 4294967295, not 1.5/);
  bad(() => structs.setMany([[key, value]], -1), RangeError, /flags must be an integer/);
  assert.is(structs.size, 0, "nothing written by any of them");
  bad(() => obj.variable("seen").set(2n ** 64n), RangeError, /'seen': bad value \(u64 expected\): 18446744073709551616 does not fit u64/);
  const { object } = await buildSource("shapes", shapes);
  await using unloaded = await BpfObject.open(object); // config is set before load
  bad(() => unloaded.variable("LIMIT").set(2 ** 40), RangeError, /'LIMIT': bad value \(u32 expected\): 1099511627776 does not fit u32/);
  bad(
    () => unloaded.variable("LIMIT").set("5"),
    TypeError,
    /'LIMIT': bad value \(u32 expected\): expected u32 \(a number\), got the string "5"/,
  );
  assert.is(unloaded.variable("LIMIT").get(), 100, "the initial value stays");
  structs.set(key, value); // the right shapes still work
  assert.equal(structs.get(key), value);
});

test("a full map says so, and how much of a batch went in", async () => {
  if (!requireKernel("BPF maps")) return;
  await using obj = await shapesObject();
  const structs = obj.map("structs"); // maxEntries 16
  const value = { packets: 1n, bytes: 2, mac: new Uint8Array(6), prio: 1, class: 2, signed: 3, words: [1, 2, 3] };
  const entries = Array.from({ length: 20 }, (_, i) => [{ proto: 6, port: i, addr: i }, value] as const);
  const e = thrown(() => structs.setMany(entries));
  assert.instance(e, BpfError);
  assert.is(e.code, "E2BIG");
  assert.match(
    e.message,
    /map 'structs': batch update: the map is full \(all 16 entries taken\): delete entries, or declare a larger maxEntries; 16 of the 20 entries were written before it/,
  );
  assert.is(structs.size, 16);
  const one = thrown(() => structs.set({ proto: 17, port: 1, addr: 1 }, value));
  assert.match(one.message, /map 'structs': update: the map is full \(all 16 entries taken\)/);
  const past = thrown(() => obj.map("widths").set(2, {}));
  assert.match(past.message, /map 'widths': update: a key is past the end of the array \(it has 2 entries, keys 0…1\)/);
});

test("damaged BTF (a struct member's type id past the end) is a BpfError EINVAL, not a plain Error", async () => {
  if (!requireKernel("BPF objects")) return;
  const { object } = await buildSource(
    "damaged",
    `import { XdpContext, XDP, HashMap, u32, u64 } from "tsxdp";
interface Odd { zqfield: u32; other: u32; }
export const odd = new HashMap<Odd, u64>({ maxEntries: 4 });
export function damaged(ctx: XdpContext): XDP { return XDP.PASS; }`,
  );
  const elf = Buffer.from(fs.readFileSync(object));
  const btf = elfy.parse(elf).body.sections.find((s) => s.name === ".BTF")!.data; // a view into elf
  const headerLength = btf.readUInt32LE(4);
  const types = headerLength + btf.readUInt32LE(8),
    typesEnd = types + btf.readUInt32LE(12);
  const strings = headerLength + btf.readUInt32LE(16);
  const nameOffset = btf.indexOf("zqfield\0", strings) - strings;
  let member = -1;
  for (let p = types; p < typesEnd; p += 4) if (btf.readUInt32LE(p) === nameOffset) member = p;
  assert.ok(member > 0, "the member record");
  btf.writeUInt32LE(0xfffff, member + 4); // its type: far past the last type id
  const obj = await BpfObject.open(new Uint8Array(elf));
  try {
    const e = thrown(() => obj.map("odd"));
    assert.instance(e, BpfError);
    assert.is(e.code, "EINVAL");
    assert.match(
      e.message,
      /malformed BTF in the key of map 'odd' of 'tsxdp': BTF has no type 1048575 — the object's type information is damaged \(rebuild it\)/,
    );
  } finally {
    obj.close();
  }
});

test("a pinned map whose layout changed: the error names the map, what differs and what to do", async () => {
  if (!requireKernel("bpffs pinning")) return;
  const source = (value: string, entries: number) => `import { XdpContext, XDP, HashMap, u32, u64 } from "tsxdp";
export const counts = new HashMap<u32, ${value}>({ maxEntries: ${entries} });
export function upgrade(ctx: XdpContext): XDP { return counts.lookup(1) === null ? XDP.PASS : XDP.DROP; }`;
  const { object: v1 } = await buildSource("upgrade", source("u64", 16));
  const { object: v2 } = await buildSource("upgrade", source("u32", 32));
  const pins = `/sys/fs/bpf/tsxdp-test-upgrade-${process.pid}-${Date.now()}`;
  try {
    const first = await (await BpfObject.open(v1, { pinMaps: pins })).load();
    first.map("counts").set(1, 5n);
    first.close();
    const second = await BpfObject.open(v2, { pinMaps: pins });
    let error: (Error & { code?: string }) | undefined;
    await second.load().catch((e) => (error = e));
    second.close();
    assert.instance(error, BpfError);
    assert.is(error!.code, "EINVAL");
    assert.is(
      error!.message,
      `load BPF object 'upgrade': map 'counts' is pinned at ${pins}/counts with a different layout (value size 8 bytes pinned, 4 bytes in this object; max entries 16 pinned, 32 in this object). ` +
        `The pin holds the data of a build with the old layout: to keep it, load that build (or copy the data out with tsxdp maps ${pins}/counts first); to start with an empty map, remove the pin (rm ${pins}/counts) and load again`,
    );
    const again = await (await BpfObject.open(v1, { pinMaps: pins })).load();
    assert.is(again.map("counts").get(1), 5n, "the pinned data is intact");
    again.close();
  } finally {
    fs.rmSync(pins, { recursive: true, force: true });
  }
});

test.run();
