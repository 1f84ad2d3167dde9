// Transmit without copies: frames claimed from the UMEM and written in place go out as
// written; what transmit() accepts (only frames the caller holds, never empty, never twice)
// and what it counts (an empty send is refused, not queued); the accounting after each step.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { requireKernel } from "../lib/kernel-env.js";
import { topology, waitForLine } from "../lib/topology.js";
import { childScript } from "../lib/xsk.js";

const receiver = childScript(`
  const xsk = await XskSocket.open({ ifname: "eth0", queue: 0, frames: 4096 });
  console.log(JSON.stringify({ ready: true }));
  const got = [];
  let last = Date.now();
  const stop = new AbortController();
  const idle = setInterval(() => { if (Date.now() - last > 1500) stop.abort(); }, 100);
  for await (const batch of xsk.batches({ signal: stop.signal })) {
    last = Date.now();
    for (const f of batch) if (f[12] === 0x88 && f[13] === 0xb5) got.push([...f]);
  }
  clearInterval(idle);
  xsk.close();
  console.log(JSON.stringify({ done: true, got }));`);

const sender = childScript(`
  const xsk = await XskSocket.open({ ifname: "eth0", queue: 0, frames: 4096 });
  const outcome = (fn) => { try { return { value: fn() }; } catch (e) { return { code: e.code, message: e.message }; } };
  const report = {};
  report.start = xsk.frameAccounting();
  // Three frames claimed, written in place, sent as 60-, 61- and 62-byte packets.
  const claimed = xsk.claimFrames(3, 64);
  report.claimedLengths = claimed.map((f) => f.length);
  report.afterClaim = xsk.frameAccounting();
  claimed.forEach((f, i) => { f.fill(0xff, 0, 6); f.fill(i + 1, 6, 12); f[12] = 0x88; f[13] = 0xb5; f.fill(0xa0 + i, 14); });
  report.foreign = outcome(() => xsk.transmit([new Uint8Array(64)]));
  report.empty = outcome(() => xsk.transmit([claimed[0].subarray(0, 0)]));
  report.twice = outcome(() => xsk.transmit([claimed[0], claimed[0]]));
  report.afterRefusals = xsk.frameAccounting();
  report.queued = xsk.transmit(claimed.map((f, i) => f.subarray(0, 60 + i)));
  report.again = outcome(() => xsk.transmit([claimed[1]]));
  for (let i = 0; i < 100 && xsk.frameAccounting().transmit > 0; i++) { xsk.reapCompletions(); await new Promise((r) => setTimeout(r, 10)); }
  report.afterCompletion = xsk.frameAccounting();
  // Claimed and given back unsent: free again.
  const spare = xsk.claimFrames(5);
  xsk.releaseFrames(spare);
  report.afterRelease = xsk.frameAccounting();
  // An empty send is refused and counts nothing (the kernel would take an empty descriptor,
  // complete it unsent and count it invalid).
  report.emptySend = outcome(() => xsk.send([new Uint8Array(0)]));
  report.stats = xsk.stats();
  xsk.close();
  console.log(JSON.stringify({ done: true, ...report }));`);

test("frames claimed and written in place go out as written; transmit refuses foreign, empty and double-listed frames and moves nothing", async () => {
  if (!requireKernel("AF_XDP TX on veth")) return;
  const topo = topology(["host", "peer"], [{ a: "host:eth0", b: "peer:eth0" }]);
  try {
    const rx = topo.start("peer", process.execPath, [receiver]);
    await waitForLine(rx, (v) => v.ready === true, 20_000);
    const rxDone = waitForLine(rx, (v) => v.done === true, 30_000);
    const r = await waitForLine(topo.start("host", process.execPath, [sender]), (v) => v.done === true, 30_000);
    const start = { free: 2048, fill: 2048, received: 0, transmit: 0 };
    assert.equal(r.start, start);
    assert.equal(r.claimedLengths, [64, 64, 64]);
    assert.equal(r.afterClaim, { free: 2045, fill: 2048, received: 3, transmit: 0 }, "claimed frames are the caller's");
    assert.is((r.foreign as { code: string }).code, "EINVAL");
    assert.match((r.foreign as { message: string }).message, /frame 0 is not a frame of this socket's UMEM/);
    assert.is((r.empty as { code: string }).code, "EINVAL");
    assert.match((r.empty as { message: string }).message, /frame 0 is empty \(0 bytes\)/);
    assert.match(
      (r.twice as { message: string }).message,
      /UMEM frame \d+ is in flight on TX \(ring 0\), expected held \(a received batch or claimed frames\) \(ring 0\): a frame was lost or used twice/,
    );
    assert.equal(r.afterRefusals, r.afterClaim, "a refused transmit moved nothing");
    assert.is(r.queued, 3);
    assert.match(
      (r.again as { message: string }).message,
      /is in flight on TX|is free|fill ring/,
      "a frame already transmitted is not the caller's any more",
    );
    assert.equal(r.afterCompletion, start, "completed frames went back");
    assert.equal(r.afterRelease, start, "released frames are free again");
    assert.is((r.emptySend as { code: string }).code, "EINVAL");
    const stats = r.stats as Record<string, number>;
    assert.is(stats.txQueued, 3, "the empty send was not counted as queued");
    assert.is(stats.txPackets, 3);
    assert.is(stats.txInvalidDescs, 0);
    const got = (await rxDone).got as number[][];
    assert.equal(
      got.map((f) => f.length),
      [60, 61, 62],
    );
    got.forEach((f, i) => {
      assert.equal(f.slice(6, 12), Array(6).fill(i + 1));
      assert.ok(
        f.slice(14).every((b) => b === 0xa0 + i),
        `frame ${i}'s payload as written in place`,
      );
    });
  } finally {
    topo.remove();
  }
});

test.run();
