// Receive memory stays flat however many times the iterator waits: each wait used to race
// the native wait against a promise that settled only on close, leaving a reaction on it per
// wait (about 75 bytes; 12 MB of heap over 30M packets). Frames trickle in here, so the loop
// waits often (stats().rxWaits counts it).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { requireKernel } from "../lib/kernel-env.js";
import { topology, waitForLine } from "../lib/topology.js";
import { childScript } from "../lib/xsk.js";

const waits = 100_000;

const receiver = childScript(`
  const xsk = await XskSocket.open({ ifname: "eth0", queue: 0, frames: 2048, coalesceUs: 0 });
  console.log(JSON.stringify({ ready: true }));
  const heap = () => { globalThis.gc(); return process.memoryUsage().heapUsed; };
  let early = 0, late = 0;
  const stop = AbortSignal.timeout(60000);
  for await (const batch of xsk.batches({ signal: stop })) {
    void batch;
    const n = xsk.stats().rxWaits;
    if (!early && n >= 10000) early = heap();
    if (n >= ${waits}) { late = heap(); break; }
  }
  const stats = xsk.stats();
  xsk.close();
  console.log(JSON.stringify({ done: true, early, late, waits: stats.rxWaits }));`);

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
    assert.ok((r.waits as number) >= waits, `${r.waits} waits`);
    const growth = ((r.late as number) - (r.early as number)) / 2 ** 20;
    // A reaction per wait would be about 6.5 MB over these 90k waits.
    assert.ok(growth < 1.5, `heap grew ${growth.toFixed(2)} MB over ${waits - 10000} waits`);
  } finally {
    topo.remove();
  }
});

test.run();
