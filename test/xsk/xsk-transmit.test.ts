// AF_XDP transmit under load: a socket on one end of a veth pair sends 100k numbered frames
// in batches to a socket on the other end; the sender's allocator must end with every frame
// back (none lost or used twice, completions all reaped), the receiver sees no frame twice.
// Once with need_wakeup (kick only when the kernel asks) and once without (kick every submit).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { requireKernel } from "../lib/kernel-env.js";
import { topology, waitForLine } from "../lib/topology.js";
import { childScript } from "../lib/xsk.js";

const receiver = (total: number) =>
  childScript(`
  const xsk = await XskSocket.open({ ifname: "eth0", queue: 0, frames: 8192, rxSize: 4096 });
  console.log(JSON.stringify({ ready: true }));
  const seen = new Uint8Array(${total});
  let received = 0, duplicates = 0, last = Date.now();
  const end = Date.now() + 40000;
  const stop = new AbortController();
  const idle = setInterval(() => { if (Date.now() - last > 2000 || Date.now() > end) stop.abort(); }, 100);
  for await (const batch of xsk.batches({ signal: stop.signal })) {
    last = Date.now();
    for (const f of batch) {
      if (f.length < 64 || f[12] !== 0x88 || f[13] !== 0xb5) continue; // the test's EtherType
      const seq = f[14] | (f[15] << 8) | (f[16] << 16);
      if (seq >= ${total}) continue;
      if (seen[seq]) duplicates++; else { seen[seq] = 1; received++; }
    }
  }
  clearInterval(idle);
  const accounting = xsk.frameAccounting();
  const stats = xsk.stats();
  xsk.close();
  console.log(JSON.stringify({ done: true, received, duplicates, accounting, stats }));`);

const sender = (total: number, needWakeup: boolean) =>
  childScript(`
  const xsk = await XskSocket.open({ ifname: "eth0", queue: 0, frames: 4096, txSize: 2048, needWakeup: ${needWakeup} });
  const pool = Array.from({ length: 256 }, () => { const f = new Uint8Array(64); f.fill(0xff, 0, 6); f[12] = 0x88; f[13] = 0xb5; return f; });
  let next = 0, partial = 0, spins = 0;
  const end = Date.now() + 40000;
  while (next < ${total} && Date.now() < end) {
    const n = Math.min(256, ${total} - next);
    for (let i = 0; i < n; i++) { const s = next + i; pool[i][14] = s & 0xff; pool[i][15] = (s >> 8) & 0xff; pool[i][16] = s >> 16; }
    const queued = xsk.send(n === 256 ? pool : pool.slice(0, n));
    next += queued;
    if (queued < n) { partial++; xsk.reapCompletions(); await new Promise((r) => setImmediate(r)); }
    if (++spins % 64 === 0) await new Promise((r) => setTimeout(r, 1)); // let the receiver keep up
  }
  for (let i = 0; i < 500 && xsk.frameAccounting().transmit > 0; i++) { xsk.reapCompletions(); await new Promise((r) => setTimeout(r, 2)); }
  const accounting = xsk.frameAccounting();
  const stats = xsk.stats();
  xsk.close();
  console.log(JSON.stringify({ done: true, sent: next, partial, accounting, stats }));`);

async function transmit(total: number, needWakeup: boolean): Promise<void> {
  const topo = topology(["host", "peer"], [{ a: "host:eth0", b: "peer:eth0" }]);
  try {
    const rx = topo.start("peer", process.execPath, [receiver(total)]);
    await waitForLine(rx, (v) => v.ready === true, 20_000);
    const rxDone = waitForLine(rx, (v) => v.done === true, 60_000);
    const tx = topo.start("host", process.execPath, [sender(total, needWakeup)]);
    const sent = await waitForLine(tx, (v) => v.done === true, 60_000);
    const got = await rxDone;
    const stats = sent.stats as Record<string, number>;
    assert.is(sent.sent, total, `queued all ${total} frames (${sent.partial} partial sends)`);
    assert.is(stats.txQueued, total);
    assert.is(stats.txPackets, total, "every queued frame completed and was reaped");
    assert.equal(sent.accounting, { free: 4096 - 2048, fill: 2048, received: 0, transmit: 0 }, "all TX frames back on the free list");
    if (!needWakeup) assert.ok(stats.txKicks! > 0);
    assert.is(got.duplicates, 0, "no frame arrived twice");
    assert.ok((got.received as number) >= total * 0.5, `the peer received ${got.received} of ${total} (${JSON.stringify(got.stats)})`);
    assert.is((got.accounting as { received: number }).received, 0);
  } finally {
    topo.remove();
  }
}

test("100k frames through TX with need_wakeup: allocator accounting holds, every completion reaped", async () => {
  if (!requireKernel("AF_XDP TX on veth")) return;
  await transmit(100_000, true);
});

test("30k frames through TX without need_wakeup (a kick per submit)", async () => {
  if (!requireKernel("AF_XDP TX on veth")) return;
  await transmit(30_000, false);
});

test.run();
