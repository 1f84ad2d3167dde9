// Pure logic of the AF_XDP runtime, no kernel: the frame allocator's accounting (per ring),
// the zero-copy/copy fallback decision, and busy-poll option checking.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { FrameAllocator } from "../../runtime/xsk/frames.js";
import { bindAttempts, fallsBackToCopy } from "../../runtime/xsk/mode.js";
import { XskSocket, busyPollSettings } from "../../runtime/xsk/socket.js";

const { Fill, Received, Transmit, place } = {
  Fill: FrameAllocator.Fill,
  Received: FrameAllocator.Received,
  Transmit: FrameAllocator.Transmit,
  place: FrameAllocator.place,
};

/**
 * What the native batch calls (rxBatch, txBatch in native/src/xsk.c) do to the allocator:
 * check and move each frame in its `places` table (a descriptor's address may carry an
 * offset into the frame), put everything back and name the frame with `violation` on a
 * mismatch; the caller then reports the counts with `moved`.
 */
function moveInPlaces(a: FrameAllocator, addrs: ArrayLike<number>, from: number, to: number): void {
  const places = a.places;
  const shift = Math.log2(a.frameSize);
  for (let i = 0; i < addrs.length; i++) {
    const index = addrs[i]! >>> shift;
    if (index >= a.frames || places[index] !== from) {
      const found = index < a.frames ? places[index]! : -1;
      while (i-- > 0) places[addrs[i]! >>> shift] = from;
      throw a.violation(index, found, from);
    }
    places[index] = to;
  }
  a.moved(addrs.length, from, to);
}

test("frames move free → fill → received → fill → free and always add up", () => {
  const a = new FrameAllocator(8, 2048);
  const out = new Uint32Array(8);
  assert.is(a.take(out, 5, place(Fill, 0)), 5);
  assert.equal(a.check(), { free: 3, fill: 5, received: 0, transmit: 0 });
  // RX descriptors carry an offset into the frame (headroom): still the same frame.
  moveInPlaces(a, [out[0]! + 256, out[1]! + 256], place(Fill, 0), place(Received, 0));
  assert.equal(a.check(), { free: 3, fill: 3, received: 2, transmit: 0 });
  moveInPlaces(a, [out[0]!, out[1]!], place(Received, 0), place(Fill, 0));
  a.give(out, 5, place(Fill, 0));
  assert.equal(a.check(), { free: 8, fill: 0, received: 0, transmit: 0 });
});

test("a frame given back twice, taken back from the wrong ring, or miscounted, is caught", () => {
  const a = new FrameAllocator(4, 2048);
  const out = new Uint32Array(4);
  a.take(out, 2, place(Transmit, 1));
  a.give(out, 1, place(Transmit, 1));
  assert.throws(() => a.give(out, 1, place(Transmit, 1)), /lost or used twice/);
  assert.throws(
    () => moveInPlaces(a, out.subarray(1, 2), place(Fill, 1), place(Received, 1)),
    /in flight on TX \(ring 1\), expected on a fill ring \(ring 1\)/,
  );
  assert.throws(() => moveInPlaces(a, [4 * 2048], place(Fill, 1), place(Received, 1)), /address 8192 is not a UMEM frame/);
  assert.throws(() => a.give(out.subarray(1), 1, place(Transmit, 0)), /expected in flight on TX/);
  assert.throws(() => a.give(new Uint32Array([4 * 2048]), 1, place(Transmit, 1)), /not a UMEM frame/);
  a.check();
  // Counts reported with moved() that the table does not show.
  a.moved(1, place(Transmit, 1), place(Fill, 1));
  assert.throws(() => a.check(), /frame counter for on a fill ring \(ring 1\) is 1, owners say 0/);
});

test("take never hands out more than is free or than fits", () => {
  const a = new FrameAllocator(3, 4096);
  const out = new Uint32Array(2);
  assert.is(a.take(out, 10, place(Fill, 0)), 2);
  assert.is(a.take(new Uint32Array(8), 10, place(Fill, 0)), 1);
  assert.is(a.take(new Uint32Array(8), 10, place(Fill, 0)), 0);
  assert.is(a.available, 0);
});

test("reclaim frees only the closed ring's frames", () => {
  const a = new FrameAllocator(16, 2048);
  const r0 = new Uint32Array(6);
  const r1 = new Uint32Array(6);
  a.take(r0, 6, place(Fill, 0));
  a.take(r1, 4, place(Fill, 1));
  a.take(r1.subarray(4), 2, place(Transmit, 1));
  moveInPlaces(a, r1.subarray(0, 1), place(Fill, 1), place(Received, 1));
  assert.is(a.reclaim(1), 6);
  assert.equal(a.check(), { free: 10, fill: 6, received: 0, transmit: 0 });
  assert.is(a.count(Fill, 0), 6);
  assert.is(a.count(Fill, 1), 0);
});

test("random traffic on three rings: no frame lost or used twice", () => {
  let seed = 12345;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  const a = new FrameAllocator(512, 2048);
  const rings = [0, 1, 2].map(() => ({ fill: [] as number[], held: [] as number[], tx: [] as number[] }));
  const buf = new Uint32Array(64);
  for (let step = 0; step < 20_000; step++) {
    const r = rand(3);
    const ring = rings[r]!;
    const op = rand(5);
    if (op === 0) {
      const n = a.take(buf, rand(64), place(Fill, r));
      for (let i = 0; i < n; i++) ring.fill.push(buf[i]!);
    } else if (op === 1 && ring.fill.length) {
      const n = 1 + rand(Math.min(ring.fill.length, 32));
      const got = ring.fill.splice(0, n);
      moveInPlaces(
        a,
        got.map((x) => x + 256),
        place(Fill, r),
        place(Received, r),
      );
      ring.held.push(...got);
    } else if (op === 2 && ring.held.length) {
      const got = ring.held.splice(0);
      moveInPlaces(a, got, place(Received, r), place(Fill, r));
      ring.fill.push(...got);
    } else if (op === 3) {
      const n = a.take(buf, rand(32), place(Transmit, r));
      for (let i = 0; i < n; i++) ring.tx.push(buf[i]!);
    } else if (op === 4 && ring.tx.length) {
      const got = ring.tx.splice(0, 1 + rand(ring.tx.length));
      a.give(Uint32Array.from(got), got.length, place(Transmit, r));
    }
    if (step % 1000 === 0) {
      const c = a.check();
      assert.is(c.free + c.fill + c.received + c.transmit, 512);
      assert.is(
        c.fill,
        rings.reduce((s, x) => s + x.fill.length, 0),
      );
    }
  }
  const all = rings.flatMap((x) => [...x.fill, ...x.held, ...x.tx]);
  assert.is(new Set(all).size, all.length, "no frame is in two places");
  for (const r of [0, 1, 2]) a.reclaim(r);
  assert.equal(a.check(), { free: 512, fill: 0, received: 0, transmit: 0 });
});

test("zero-copy decision: auto falls back to copy only when the driver has no zero-copy", () => {
  assert.equal(bindAttempts("copy"), ["copy"]);
  assert.equal(bindAttempts("zerocopy"), ["zerocopy"]);
  assert.equal(bindAttempts("auto"), ["zerocopy", "copy"]);
  assert.throws(() => bindAttempts("fast" as never), /mode must be "copy", "zerocopy" or "auto"/);
  assert.ok(fallsBackToCopy("auto", "zerocopy", 95), "EOPNOTSUPP: no zero-copy in this driver");
  assert.not.ok(fallsBackToCopy("zerocopy", "zerocopy", 95), "zerocopy asked for: report it");
  assert.not.ok(fallsBackToCopy("auto", "zerocopy", 16), "EBUSY fails in copy mode too");
  assert.not.ok(fallsBackToCopy("auto", "zerocopy", 22), "a bad queue fails in copy mode too");
  assert.not.ok(fallsBackToCopy("auto", "copy", 95), "nothing after copy");
});

test("busy-poll options: defaults, and errors in words", () => {
  assert.is(busyPollSettings(undefined), undefined);
  assert.is(busyPollSettings(false), undefined);
  assert.equal(busyPollSettings(true), { timeoutUs: 20, budget: 64, prefer: true });
  assert.equal(busyPollSettings({ budget: 8, prefer: false }), { timeoutUs: 20, budget: 8, prefer: false });
  assert.throws(() => busyPollSettings({ budget: 0 }), /budget must be an integer 1…65535/);
  assert.throws(() => busyPollSettings({ budget: 70000 }), /budget must be an integer 1…65535/);
  assert.throws(() => busyPollSettings({ timeoutUs: -1 }), /timeoutUs must be an integer number of microseconds/);
  assert.throws(() => busyPollSettings({ timeoutUs: 1.5 }), /timeoutUs/);
});

test("a queue id past 32 bits is refused before anything is bound (it would wrap to another queue)", async () => {
  for (const queue of [2 ** 32 + 1, 1.5, -1]) {
    const error = await XskSocket.open({ ifname: "tsxdp-none0", queue }).then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    assert.is(error?.code, "EINVAL", String(queue));
    assert.match(error!.message, new RegExp(`queue must be an integer from 0 to 4294967295, not ${String(queue).replace(".", "\\.")}$`));
  }
});

test.run();
