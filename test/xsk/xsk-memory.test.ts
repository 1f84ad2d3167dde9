// Receive memory stays flat however many times the iterator waits: each wait used to race
// the native wait against a promise that settled only on close, leaving a reaction on it per
// wait (about 75 bytes; 12 MB of heap over 30M packets). Frames trickle in here, so the loop
// waits often (stats().rxWaits counts it). The run is bounded in time as well as in waits, so
// a slow machine measures fewer waits and the check is per wait, not a total.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { requireKernel } from "../lib/kernel-env.js";
import { topology, waitForLine } from "../lib/topology.js";
import { childScript } from "../lib/xsk.js";

const waits = 100_000;
const minimumWaits = 30_000;

const receiver = childScript(`
  const xsk = await XskSocket.open({ ifname: "eth0", queue: 0, frames: 2048, coalesceUs: 0 });
  console.log(JSON.stringify({ ready: true }));
  const heap = () => { globalThis.gc(); return process.memoryUsage().heapUsed; };
  let early = 0, earlyWaits = 0, late = 0, lateWaits = 0;
  const end = Date.now() + 45000;
  const stop = AbortSignal.timeout(60000);
  for await (const batch of xsk.batches({ signal: stop })) {
    void batch;
    const n = xsk.stats().rxWaits;
    if (!early && n >= 10000) { early = heap(); earlyWaits = n; }
    if (early && (n >= ${waits} || Date.now() > end)) { late = heap(); lateWaits = n; break; }
  }
  xsk.close();
  console.log(JSON.stringify({ done: true, early, earlyWaits, late, lateWaits }));`);

const sender = childScript(`
  const xsk = await XskSocket.open({ ifname: "eth0", queue: 0, frames: 2048 });
  const frame = new Uint8Array(60); frame.fill(0xff, 0, 6); frame[12] = 0x88; frame[13] = 0xb5;
  const end = Date.now() + 60000;
  // One frame at a time, each sent after the event loop turns: the receiver waits for each.
  while (Date.now() < end) { xsk.send([frame]); await new Promise((r) => setImmediate(r)); }`);

test("receiving through 100k waits for frames keeps the heap flat", async () => {
  if (!requireKernel("AF_XDP on veth")) return;
  const topo = topology(["host", "peer"], [{ a: "host:eth0", b: "peer:eth0" }]);
  try {
    const rx = topo.start("host", process.execPath, ["--expose-gc", receiver]);
    await waitForLine(rx, (v) => v.ready === true, 20_000);
    const done = waitForLine(rx, (v) => v.done === true, 90_000);
    topo.start("peer", process.execPath, [sender]);
    const r = await done;
    const measured = (r.lateWaits as number) - (r.earlyWaits as number);
    assert.ok(measured >= minimumWaits, `only ${measured} waits measured in 45 s (need ${minimumWaits})`);
    const growth = (r.late as number) - (r.early as number);
    console.log(`heap ${(growth / 2 ** 20).toFixed(2)} MB over ${measured} waits (${(growth / measured).toFixed(1)} bytes per wait)`);
    // A reaction per wait was about 75 bytes; 16 bytes per wait leaves room for GC noise
    // (1.4 MB over 90k waits, 0.5 MB over the minimum).
    assert.ok(growth / measured < 16, `heap grew ${(growth / 2 ** 20).toFixed(2)} MB over ${measured} waits`);
  } finally {
    topo.remove();
  }
});

test.run();
