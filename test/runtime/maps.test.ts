// Map features beyond get/set: pinning across reloads, batch operations on 100k entries,
// iteration under concurrent deletes, ring buffers as async iterators.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import crypto from "node:crypto";
import { BpfObject, BpfError, BpfMap, type PerCpuMap, XDP } from "../../runtime/index.js";
import { rawCodec } from "../../runtime/codec.js";
import { native, type NativeMapHandle } from "../../runtime/native.js";
import { requireKernel } from "../lib/kernel-env.js";
import { buildSource } from "../lib/build.js";
import { takeWithin } from "../lib/async.js";
import { dumpPinnedMaps } from "../../cli/runtime-commands.js";

const source = `import { XdpContext, XDP, HashMap, RingBuf, EthHdr, FixedArray, u8, u16, u32, u64, ktimeGetNs } from "tsxdp";
interface Sample { seq: u32; len: u16; first: u8; flags: u8; ts: u64; src: FixedArray<u8, 6>; }
export const big = new HashMap<u32, u64>({ maxEntries: 131072 });
export const kept = new HashMap<u32, u32>({ maxEntries: 16 });
export const samples = new RingBuf<Sample>({ maxBytes: 65536 });
export const seq = new HashMap<u32, u32>({ maxEntries: 1 });
export function sample(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.PASS;
  let n: u32 = 0;
  const s = seq.lookup(0);
  if (s !== null) { s.value += 1; n = s.value; } else { seq.update(0, 1); n = 1; }
  const record: Sample = { seq: n, len: u16(ctx.len), first: eth.dst[0], flags: 0xa5, ts: ktimeGetNs(), src: eth.src };
  samples.output(record);
  return XDP.PASS;
}
`;

test("a pinned map keeps its data across a reload", async () => {
  if (!requireKernel("bpffs pinning")) return;
  const { object } = await buildSource("pins", source);
  const dir = `/sys/fs/bpf/tsxdp-test-${process.pid}-${crypto.randomBytes(3).toString("hex")}`;
  try {
    const first = await (await BpfObject.open(object, { pinMaps: dir })).load();
    first.map("kept").set(7, 4242);
    first.close();
    assert.ok(fs.existsSync(`${dir}/kept`), "map pinned by name");
    const second = await (await BpfObject.open(object, { pinMaps: dir })).load();
    assert.is(second.map("kept").get(7), 4242, "the reloaded object reuses the pinned map");
    second.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a map opened from its pin: typed from the map's own BTF, per-CPU values per CPU, the fd closed with it; the CLI dumps it", async () => {
  if (!requireKernel("bpffs pinning")) return;
  const { object } = await buildSource(
    "frompin",
    `import { XdpContext, XDP, HashMap, PerCpuArray, RingBuf, be16, u32, u64 } from "tsxdp";
interface Flow { packets: u64; port: be16; }
export const flows = new HashMap<u32, Flow>({ maxEntries: 8 });
export const hits = new PerCpuArray<u64>({ maxEntries: 2 });
export const events = new RingBuf<u32>({ maxBytes: 4096 });
export function count(ctx: XdpContext): XDP {
  const h = hits.lookup(1);
  if (h !== null) h.value += 1;
  return XDP.PASS;
}`,
  );
  const dir = `/sys/fs/bpf/tsxdp-test-${process.pid}-${crypto.randomBytes(3).toString("hex")}`;
  try {
    const obj = await (await BpfObject.open(object, { pinMaps: dir })).load();
    obj.map("flows").set(5, { packets: 9n, port: 53 });
    for (let i = 0; i < 3; i++) obj.program("count").run(new Uint8Array(64));
    obj.close();
    const flows = BpfMap.fromPin<number, { packets: bigint; port: number }>(`${dir}/flows`);
    assert.equal(flows.get(5), { packets: 9n, port: 53 });
    assert.is(flows.name, "flows");
    const fd = flows.fd;
    flows.close();
    assert.is(errorOf(() => flows.get(5)).code, "EBADF", "closed with the map");
    assert.ok(errorOf(() => native().mapInfo(fd)).errno !== undefined, "the pin's fd is closed");
    {
      using hits = BpfMap.fromPin<number, bigint[]>(`${dir}/hits`);
      const perCpu = hits.get(1)!;
      assert.is(perCpu.length, native().possibleCpus());
      assert.is(
        perCpu.reduce((a, b) => a + b, 0n),
        3n,
      );
    }
    const lines = dumpPinnedMaps(dir);
    assert.ok(lines.includes("  5 => { packets: 9n, port: 53 }"), lines.join("\n"));
    assert.ok(
      lines.some((l) => /^  1 => \[(\d+n, )*\d+n\]$/.test(l)),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((l) => l.startsWith("  (a ring buffer: its records are consumed")),
      lines.join("\n"),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("batch operations on a 100k-entry hash map", async () => {
  if (!requireKernel("BPF_MAP_*_BATCH")) return;
  const { object } = await buildSource("pins", source);
  await using obj = await (await BpfObject.open(object)).load();
  const big = obj.map("big") as BpfMap<number, bigint>;
  const n = 100_000;
  const entries: [number, bigint][] = Array.from({ length: n }, (_, i) => [i * 3 + 1, BigInt(i) * 1000n]);
  big.setMany(entries);
  const dumped = new Map([...big.dump(8192)]);
  assert.is(dumped.size, n);
  assert.is(dumped.get(3 * 12345 + 1), 12345000n);
  assert.equal(big.getMany([1, 4, 2]), [0n, 1000n, undefined]);
  assert.is(big.deleteMany(entries.slice(0, 60_000).map(([k]) => k)), 60_000);
  assert.is(big.size, 40_000);
  big.clear();
  assert.is(big.size, 0);
});

test("iteration under deletes: every key never deleted is seen exactly once, none twice, none after its deletion", async () => {
  if (!requireKernel("BPF maps")) return;
  const { object } = await buildSource("pins", source);
  await using obj = await (await BpfObject.open(object)).load();
  const big = obj.map("big") as BpfMap<number, bigint>;
  const n = 1000;
  for (let i = 0; i < n; i++) big.set(i, BigInt(i));
  const seenCount = new Map<number, number>();
  const deletedAt = new Map<number, number>(); // key → step of its deletion
  const seenAt = new Map<number, number>();
  let step = 0;
  for (const key of big.keys()) {
    step++;
    seenCount.set(key, (seenCount.get(key) ?? 0) + 1);
    if (!seenAt.has(key)) seenAt.set(key, step);
    // Delete the cursor itself (the kernel's walk then restarts from the first key) …
    if (key % 3 === 0 && big.delete(key)) deletedAt.set(key, step);
    // … and keys elsewhere, some already seen, some not yet.
    const other = (key * 7 + 11) % n;
    if (key % 5 === 0 && !deletedAt.has(other) && big.delete(other)) deletedAt.set(other, step);
    assert.ok(step <= n, "the walk yields at most one key per entry");
  }
  for (const [key, count] of seenCount) assert.is(count, 1, `key ${key} seen ${count} times`);
  for (let key = 0; key < n; key++) {
    if (!deletedAt.has(key))
      assert.is(seenCount.get(key), 1, `key ${key} was never deleted but was ${seenCount.has(key) ? "seen twice" : "not seen"}`);
    else if (seenAt.has(key)) assert.ok(seenAt.get(key)! <= deletedAt.get(key)!, `key ${key} seen after its deletion`);
  }
  assert.ok(deletedAt.size > 300, `${deletedAt.size} keys deleted during the walk`);
  assert.is(big.size, n - deletedAt.size);
  assert.equal(new Set(big.keys()), new Set([...Array(n).keys()].filter((k) => !deletedAt.has(k))));
});

test("RingBuf records arrive typed through for await", async () => {
  if (!requireKernel("BPF ring buffers")) return;
  const { object } = await buildSource("ring", source);
  await using obj = await (await BpfObject.open(object)).load();
  const layout = {
    kind: "struct" as const,
    name: "Sample",
    size: 24,
    fields: [
      { name: "seq", offset: 0, type: { kind: "int" as const, bits: 32 as const, signed: false } },
      { name: "len", offset: 4, type: { kind: "int" as const, bits: 16 as const, signed: false } },
      { name: "first", offset: 6, type: { kind: "int" as const, bits: 8 as const, signed: false } },
      { name: "flags", offset: 7, type: { kind: "int" as const, bits: 8 as const, signed: false } },
      { name: "ts", offset: 8, type: { kind: "int" as const, bits: 64 as const, signed: false } },
      {
        name: "src",
        offset: 16,
        type: { kind: "array" as const, element: { kind: "int" as const, bits: 8 as const, signed: false }, length: 6 },
      },
    ],
  };
  const ring = obj.ringBuf<{ seq: number; len: number; first: number; flags: number; ts: bigint; src: Uint8Array }>("samples", layout);
  const packet = Uint8Array.from({ length: 60 }, (_, i) => i + 1);
  for (let i = 0; i < 5; i++) assert.is(obj.program("sample").run(packet).action, XDP.PASS);
  const got = await takeWithin(ring, 5, 5000);
  for (const record of got) {
    assert.is(record.len, 60);
    assert.is(record.first, 1);
    assert.is(record.flags, 0xa5);
    assert.equal([...record.src], [7, 8, 9, 10, 11, 12]);
    assert.ok(record.ts > 0n);
  }
  assert.equal(
    got.map((r) => r.seq),
    [1, 2, 3, 4, 5],
  );
});

test("a RingBuf for await with no records fails in bounded time instead of hanging", async () => {
  if (!requireKernel("BPF ring buffers")) return;
  const { object } = await buildSource("ring", source);
  await using obj = await (await BpfObject.open(object)).load();
  const started = Date.now();
  try {
    await takeWithin(obj.ringBuf("samples"), 1, 300);
    assert.unreachable("no record was produced");
  } catch (error) {
    assert.match((error as Error).message, /only 0 of 1 records arrived within 300 ms/);
  }
  assert.ok(Date.now() - started < 2000);
});

test("a RingBuf reader waiting on the event loop wakes for a later record and ends when its object closes", async () => {
  if (!requireKernel("BPF ring buffers")) return;
  const { object } = await buildSource("ring", source);
  const obj = await (await BpfObject.open(object)).load();
  const ring = obj.ringBuf("samples");
  const seen: unknown[] = [];
  let ended = false;
  const loop = (async () => {
    for await (const record of ring) seen.push(record);
    ended = true;
  })();
  const until = async (done: () => boolean, ms: number) => {
    for (const deadline = Date.now() + ms; !done() && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  await new Promise((resolve) => setTimeout(resolve, 100)); // the reader is waiting now
  obj.program("sample").run(Uint8Array.from({ length: 60 }, (_, i) => i));
  // Well inside the reader's 1 s idle bound: the ring's fd woke it, not a timer.
  await until(() => seen.length > 0, 400);
  assert.is(seen.length, 1, "the record written while the reader waited arrived");
  obj.close();
  await until(() => ended, 400);
  assert.ok(ended, "closing the object ended the waiting loop");
  await loop;
});

test("a ring record shorter than its layout is an error in words, not raw bytes", async () => {
  if (!requireKernel("BPF ring buffers")) return;
  const { object } = await buildSource("ring", source);
  await using obj = await (await BpfObject.open(object)).load();
  // A 32-byte layout for 24-byte records: a skeleton out of date with its program.
  const tooLong = {
    kind: "struct" as const,
    name: "Sample",
    size: 32,
    fields: [{ name: "seq", offset: 0, type: { kind: "int" as const, bits: 32 as const, signed: false } }],
  };
  const ring = obj.ringBuf("samples", tooLong);
  obj.program("sample").run(Uint8Array.from({ length: 60 }, (_, i) => i));
  assert.throws(
    () => ring.drain(),
    (e: BpfError) =>
      e.code === "EPROTO" && /a record of 24 bytes is shorter than its type Sample \(32 bytes\).*rebuild the skeleton/.test(e.message),
  );
  // Without a layout, records are their bytes.
  await using raw = await (await BpfObject.open(object)).load();
  raw.program("sample").run(Uint8Array.from({ length: 60 }, (_, i) => i));
  const [bytes] = raw.ringBuf("samples").drain() as Uint8Array[];
  assert.instance(bytes, Uint8Array);
  assert.is(bytes!.length, 24);
});

const kinds = `import { XdpContext, XDP, HashMap, PerCpuHashMap, ArrayMap, LpmTrie, be16, be32, u8, u16, u32, u64, i32 } from "tsxdp";
interface Flow { addr: be32; port: be16; proto: u8; }
interface Stats { packets: u64; bytes: u32; }
interface Prefix { prefixlen: u32; addr: be32; }
export const flows = new HashMap<Flow, Stats>({ maxEntries: 1024 });
export const ports = new HashMap<be16, be32>({ maxEntries: 64 });
export const signed = new HashMap<i32, u16>({ maxEntries: 64 });
export const counts = new PerCpuHashMap<u32, u64>({ maxEntries: 64 });
export const slots = new ArrayMap<u64>({ maxEntries: 8 });
export const routes = new LpmTrie<Prefix, u32>({ maxEntries: 16 });
export function pass(ctx: XdpContext): XDP { return XDP.PASS; }
`;

const errorOf = (fn: () => unknown): Error & { code?: string; errno?: number } => {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string; errno?: number };
  }
  throw new Error("expected an error");
};

test("single and batch operations keep values typed: be16/be32 in host order, structs with padding, i32, u64", async () => {
  if (!requireKernel("BPF maps, BPF_MAP_*_BATCH")) return;
  const { object } = await buildSource("kinds", kinds);
  await using obj = await (await BpfObject.open(object)).load();
  const ports = obj.map("ports") as BpfMap<number, number>;
  ports.set(0x1234, 0x0a000001);
  using rawPorts = BpfMap.fromFd<Uint8Array, Uint8Array>(ports.fd, { keyCodec: rawCodec(2), valueCodec: rawCodec(4) });
  const raw = rawPorts.get(Uint8Array.of(0x12, 0x34));
  assert.equal([...raw!], [0x0a, 0, 0, 1], "the kernel holds network order");
  assert.is(ports.get(0x1234), 0x0a000001);
  ports.setMany([
    [0x0050, 0xc0a80001],
    [0x01bb, 0xffffffff],
  ]);
  assert.equal(
    new Map(ports.dump()),
    new Map([
      [0x1234, 0x0a000001],
      [0x0050, 0xc0a80001],
      [0x01bb, 0xffffffff],
    ]),
  );
  assert.equal(ports.getMany([0x01bb, 0x9999, 0x0050]), [0xffffffff, undefined, 0xc0a80001]);

  const flows = obj.map("flows") as BpfMap<{ addr: number; port: number; proto: number }, { packets: bigint; bytes: number }>;
  const flow = { addr: 0x0a000002, port: 443, proto: 6 };
  flows.set(flow, { packets: 5n, bytes: 100 });
  assert.equal(flows.get({ ...flow }), { packets: 5n, bytes: 100 }, "padding is zeroed, so an equal key finds the entry");
  flows.setMany(
    Array.from(
      { length: 300 },
      (_, i) =>
        [
          { addr: i, port: i, proto: 17 },
          { packets: BigInt(i), bytes: i },
        ] as const,
    ),
  );
  const dumped = [...flows.dump(64)];
  assert.is(dumped.length, 301);
  assert.equal(
    flows.getMany([
      { addr: 7, port: 7, proto: 17 },
      { addr: 7, port: 7, proto: 6 },
    ]),
    [{ packets: 7n, bytes: 7 }, undefined],
  );
  assert.is(flows.deleteMany(dumped.map(([k]) => k)), 301);

  const signed = obj.map("signed") as BpfMap<number, number>;
  signed.setMany([
    [-1, 65535],
    [-2147483648, 0],
  ]);
  assert.equal(signed.getMany([-1, -2147483648, 5]), [65535, 0, undefined]);
  const bad = errorOf(() => signed.set(1, 70000));
  assert.is(bad.code, "EINVAL");
  assert.match(bad.message, /bad value \(u16 expected\)/);
  assert.match(errorOf(() => signed.set(2 ** 31, 1)).message, /bad key \(i32 expected\)/);

  const slots = obj.map("slots") as BpfMap<number, bigint>;
  slots.set(1, 5 as unknown as bigint); // an integer number is accepted for a u64
  assert.is(slots.get(1), 5n);
  slots.setMany([
    [2, 2n ** 64n - 1n],
    [3, 3n],
  ]);
  assert.is(slots.get(2), 2n ** 64n - 1n);
  assert.is(errorOf(() => slots.set(4, 2n ** 64n)).code, "EINVAL");
  assert.is(errorOf(() => slots.set(4, -1n)).code, "EINVAL");
  assert.is([...slots.dump()].length, 8, "an array dumps every slot");
  assert.is(errorOf(() => slots.set(8, 1n)).code, "E2BIG", "out of the array: the kernel's errno, in a BpfError");
});

test("per-CPU maps: one value per CPU through get, setMany, getMany and dump", async () => {
  if (!requireKernel("per-CPU hash maps")) return;
  const { object } = await buildSource("kinds", kinds);
  await using obj = await (await BpfObject.open(object)).load();
  const counts = obj.map("counts") as unknown as BpfMap<number, bigint[]> & PerCpuMap<number, bigint>;
  const cpus = native().possibleCpus();
  counts.set(1, Array(cpus).fill(7n));
  assert.equal(counts.get(1), Array(cpus).fill(7n));
  counts.setMany([[2, Array.from({ length: cpus }, (_, i) => BigInt(i))]]);
  assert.equal(counts.getMany([2, 3]), [Array.from({ length: cpus }, (_, i) => BigInt(i)), undefined]);
  assert.equal(new Map(counts.dump()).get(1), Array(cpus).fill(7n));
  assert.is(counts.sum(1), 7n * BigInt(cpus));
  assert.is(errorOf(() => counts.set(3, Array(cpus + 1).fill(1n))).code, "EINVAL");
});

test("deleteMany carries on past absent keys; setMany checks every entry before writing any", async () => {
  if (!requireKernel("BPF_MAP_DELETE_BATCH")) return;
  const { object } = await buildSource("pins", source);
  await using obj = await (await BpfObject.open(object)).load();
  const big = obj.map("big") as BpfMap<number, bigint>;
  big.setMany([
    [1, 1n],
    [3, 3n],
    [5, 5n],
  ]);
  assert.is(big.deleteMany([1, 2, 3, 4, 5, 6]), 3, "the kernel's batch stops at key 2; the rest are still deleted");
  assert.is(big.size, 0);
  const entries: [number, bigint][] = [
    [10, 10n],
    [11, -1n],
    [12, 12n],
  ];
  assert.is(errorOf(() => big.setMany(entries)).code, "EINVAL");
  assert.is(big.size, 0, "nothing was written");
  // The kernel's batch update refuses NOEXIST/EXIST: these go one entry at a time.
  assert.is(errorOf(() => big.setMany([[1, 1n]], 2 /* EXIST */)).code, "ENOENT");
  big.setMany(
    [
      [1, 1n],
      [2, 2n],
    ],
    1 /* NOEXIST */,
  );
  assert.equal(big.getMany([1, 2]), [1n, 2n]);
  assert.is(
    errorOf(() =>
      big.setMany(
        [
          [3, 3n],
          [2, 9n],
        ],
        1 /* NOEXIST */,
      ),
    ).code,
    "EEXIST",
  );
  assert.equal(big.getMany([2, 3]), [2n, 3n], "entries before the failing one went in; the existing one is untouched");
});

test("maps without batch operations (LPM trie) fall back to one syscall per entry", async () => {
  if (!requireKernel("LPM trie maps")) return;
  const { object } = await buildSource("kinds", kinds);
  await using obj = await (await BpfObject.open(object)).load();
  const routes = obj.map("routes") as BpfMap<{ prefixlen: number; addr: number }, number>;
  routes.setMany([
    [{ prefixlen: 8, addr: 0x0a000000 }, 1],
    [{ prefixlen: 24, addr: 0xc0a80100 }, 2],
  ]);
  assert.is(routes.get({ prefixlen: 32, addr: 0x0a010203 }), 1, "longest-prefix match");
  assert.equal([...routes.dump()].map(([, v]) => v).sort(), [1, 2]);
  assert.is(
    routes.deleteMany([
      { prefixlen: 8, addr: 0x0a000000 },
      { prefixlen: 16, addr: 0 },
    ]),
    1,
  );
});

test("native map handles check every buffer against the map's real sizes and fail as JS errors", async () => {
  if (!requireKernel("BPF maps")) return;
  const { object } = await buildSource("pins", source);
  const obj = await (await BpfObject.open(object)).load();
  const big = obj.map("big") as BpfMap<number, bigint>;
  const addon = native();
  const code = (fn: () => unknown) => errorOf(fn).code ?? `errno ${errorOf(fn).errno}`;
  assert.is(
    code(() => addon.mapOpen(big.fd, 8, 8)),
    "EINVAL",
    "wrong key size",
  );
  assert.is(
    code(() => addon.mapOpen(big.fd, 4, 4)),
    "EINVAL",
    "wrong value size",
  );
  assert.is(errorOf(() => addon.mapOpen(1 << 20, 4, 8)).errno, 9, "not an open fd: EBADF");
  const devNull = fs.openSync("/dev/null", "r");
  try {
    assert.ok(errorOf(() => addon.mapOpen(devNull, 4, 8)).errno, "not a map: an errno");
  } finally {
    fs.closeSync(devNull);
  }
  const h = addon.mapOpen(big.fd, 4, 8);
  const key = new Uint8Array(4),
    value = new Uint8Array(8);
  addon.mapUpdateElem(h, key, value, 0);
  assert.is(addon.mapLookupInto(h, key, value, 0), true);
  for (const [what, fn] of [
    ["short key", () => addon.mapLookupInto(h, new Uint8Array(3), value, 0)],
    ["long key", () => addon.mapUpdateElem(h, new Uint8Array(5), value, 0)],
    ["short value", () => addon.mapLookupInto(h, key, new Uint8Array(4), 0)],
    ["not bytes", () => addon.mapLookupInto(h, new Uint32Array(1) as unknown as Uint8Array, value, 0)],
    ["delete key size", () => addon.mapDeleteElem(h, new Uint8Array(2))],
    ["many: values too small", () => addon.mapLookupMany(h, new Uint8Array(40), new Uint8Array(79), new Uint8Array(10), 10)],
    ["many: found too small", () => addon.mapLookupMany(h, new Uint8Array(40), new Uint8Array(80), new Uint8Array(9), 10)],
    ["batch update past the end", () => addon.mapUpdateBatchFrom(h, new Uint8Array(40), new Uint8Array(80), 5, 6, 0)],
    ["batch update negative", () => addon.mapUpdateBatchFrom(h, new Uint8Array(40), new Uint8Array(80), -1, 2, 0)],
    ["delete many too few keys", () => addon.mapDeleteMany(h, new Uint8Array(7), 2)],
    ["batch lookup small cursor", () => addon.mapLookupBatchInto(h, null, new Uint8Array(4), new Uint8Array(40), new Uint8Array(80), 10)],
    ["batch lookup small values", () => addon.mapLookupBatchInto(h, null, new Uint8Array(8), new Uint8Array(40), new Uint8Array(72), 10)],
    ["not a handle", () => addon.mapLookupInto({} as NativeMapHandle, key, value, 0)],
    ["missing arguments", () => (addon.mapLookupInto as unknown as (h: unknown) => void)(h)],
  ] as const)
    assert.is(code(fn), "EINVAL", what);
  const found = new Uint8Array(2);
  assert.is(addon.mapLookupMany(h, Uint8Array.of(0, 0, 0, 0, 9, 0, 0, 0), new Uint8Array(16), found, 2), 1, "key 0 is there, key 9 is not");
  assert.equal([...found], [1, 0]);
  addon.mapClose(h);
  addon.mapClose(h); // idempotent
  assert.is(errorOf(() => addon.mapLookupInto(h, key, value, 0)).errno, 9, "a closed handle: EBADF");
  assert.is(errorOf(() => addon.mapDeleteMany(h, key, 1)).errno, 9);

  const h2 = addon.mapOpen(big.fd, 4, 8);
  for (const [what, fn] of [
    ["next key: next shorter than the key size", () => addon.mapNextKeyInto(h2, null, new Uint8Array(1))],
    ["next key: cursor shorter than the key size", () => addon.mapNextKeyInto(h2, new Uint8Array(1), new Uint8Array(4))],
  ] as const)
    assert.is(code(fn), "EINVAL", what);
  addon.mapClose(h2);
  assert.ok(errorOf(() => BpfMap.fromFd(1 << 20)).errno, "not an open fd: an errno");

  big.set(1, 1n);
  obj.close();
  const closed = errorOf(() => big.get(1));
  assert.is(closed.name, "BpfError");
  assert.is(closed.code, "EBADF");
});

test.run();
