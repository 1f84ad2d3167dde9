// Map features beyond get/set: pinning across reloads, batch operations on 100k entries,
// iteration under concurrent deletes, ring buffers as async iterators.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import crypto from "node:crypto";
import { BpfObject, BpfError, type BpfMap, XDP } from "../../runtime/index.js";
import { requireKernel } from "../lib/kernel-env.js";
import { buildSource } from "../lib/build.js";
import { takeWithin } from "../lib/async.js";

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
    if (!deletedAt.has(key)) assert.is(seenCount.get(key), 1, `key ${key} was never deleted but was ${seenCount.has(key) ? "seen twice" : "not seen"}`);
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
    kind: "struct" as const, name: "Sample", size: 24,
    fields: [
      { name: "seq", offset: 0, type: { kind: "int" as const, bits: 32 as const, signed: false } },
      { name: "len", offset: 4, type: { kind: "int" as const, bits: 16 as const, signed: false } },
      { name: "first", offset: 6, type: { kind: "int" as const, bits: 8 as const, signed: false } },
      { name: "flags", offset: 7, type: { kind: "int" as const, bits: 8 as const, signed: false } },
      { name: "ts", offset: 8, type: { kind: "int" as const, bits: 64 as const, signed: false } },
      { name: "src", offset: 16, type: { kind: "array" as const, element: { kind: "int" as const, bits: 8 as const, signed: false }, length: 6 } },
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
  assert.equal(got.map((r) => r.seq), [1, 2, 3, 4, 5]);
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

test("a ring record shorter than its layout is an error in words, not raw bytes", async () => {
  if (!requireKernel("BPF ring buffers")) return;
  const { object } = await buildSource("ring", source);
  await using obj = await (await BpfObject.open(object)).load();
  // A 32-byte layout for 24-byte records: a skeleton out of date with its program.
  const tooLong = { kind: "struct" as const, name: "Sample", size: 32, fields: [{ name: "seq", offset: 0, type: { kind: "int" as const, bits: 32 as const, signed: false } }] };
  const ring = obj.ringBuf("samples", tooLong);
  obj.program("sample").run(Uint8Array.from({ length: 60 }, (_, i) => i));
  assert.throws(() => ring.drain(), (e: BpfError) => e.code === "EPROTO" && /a record of 24 bytes is shorter than its type Sample \(32 bytes\).*rebuild the skeleton/.test(e.message));
  // Without a layout, records are their bytes.
  await using raw = await (await BpfObject.open(object)).load();
  raw.program("sample").run(Uint8Array.from({ length: 60 }, (_, i) => i));
  const [bytes] = raw.ringBuf("samples").drain() as Uint8Array[];
  assert.instance(bytes, Uint8Array);
  assert.is(bytes!.length, 24);
});

test.run();
