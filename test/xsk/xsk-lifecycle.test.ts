// AF_XDP socket life cycle in the real kernel: busy-poll options, no memory kept after
// close or garbage collection, the AbortSignal while idle, the copying fallback, and views
// of a closed UMEM reading as empty.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { requireKernel } from "../lib/kernel-env.js";
import type { Topology } from "../lib/topology.js";
import { childScript, sendUdp, warmPair } from "../lib/xsk.js";

const pair = (): Topology => warmPair("10.95.0");

/** Runs a child script in the host namespace; returns its last JSON line. */
function runChild(
  topo: Topology,
  body: string,
  options: { env?: NodeJS.ProcessEnv; args?: string[]; during?: () => void } = {},
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", topo.ns.host!, process.execPath, ...(options.args ?? []), childScript(body)], {
      env: { ...process.env, ...options.env },
    });
    let out = "";
    let err = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (options.during && out.includes('"ready":true')) {
        const during = options.during;
        options.during = undefined;
        setTimeout(during, 0);
      }
    });
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (code) => {
      clearTimeout(timer);
      const line = out
        .trim()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .pop();
      if (code !== 0 || !line) reject(new Error(`child exited ${code}: ${out} ${err}`));
      else resolve(JSON.parse(line) as Record<string, unknown>);
    });
  });
}

const countUdp = `
  async function countUdp(xsk, seconds, want) {
    let n = 0; const seen = []; const end = Date.now() + seconds * 1000;
    for await (const batch of xsk.batches({ signal: AbortSignal.timeout(seconds * 1000) })) {
      for (const f of batch) if (f.length >= 42 && f[23] === 17 && ((f[36] << 8) | f[37]) === 9999) { n++; seen.push(new TextDecoder().decode(f.subarray(42))); }
      if (n >= want || Date.now() > end) break;
    }
    return { n, seen };
  }`;

test("busy polling is accepted on veth and receiving goes on; bad settings are refused in words", async () => {
  if (!requireKernel("AF_XDP busy polling")) return;
  const topo = pair();
  try {
    const done = await runChild(
      topo,
      `${countUdp}
      let refused;
      try { await XskSocket.open({ ifname: "eth0", busyPoll: { budget: 0 } }); } catch (e) { refused = { code: e.code, message: e.message }; }
      const xsk = await XskSocket.open({ ifname: "eth0", queue: 0, busyPoll: { timeoutUs: 20, budget: 8, prefer: true } });
      console.log(JSON.stringify({ ready: true }));
      const r = await countUdp(xsk, 10, 100);
      xsk.close();
      console.log(JSON.stringify({ done: true, received: r.n, refused }));`,
      { during: () => sendUdp(topo, "peer", "10.95.0.1", 9999, 100, "b") },
    );
    assert.is(done.received, 100);
    const refused = done.refused as { code: string; message: string };
    assert.is(refused.code, "EINVAL");
    assert.match(refused.message, /busyPoll.budget must be an integer 1…65535/);
  } finally {
    topo.remove();
  }
});

test("40+ open/close cycles and 20 sockets left to the garbage collector keep no memory", async () => {
  if (!requireKernel("AF_XDP UMEM lifetime")) return;
  const topo = pair();
  try {
    const done = await runChild(
      topo,
      `
      const status = () => { const s = require("fs").readFileSync("/proc/self/status", "utf8"); const kb = (k) => Number(new RegExp(k + ":\\\\s+(\\\\d+)").exec(s)[1]); return { vm: kb("VmSize") / 1024, rss: kb("VmRSS") / 1024 }; };
      const { createRequire } = await import("node:module"); const require = createRequire(import.meta.url);
      const cycle = async () => { const x = await XskSocket.open({ ifname: "eth0", frames: 4096, frameSize: 2048 }); x.poll(); x.send([new Uint8Array(60)]); return x; };
      for (let i = 0; i < 5; i++) (await cycle()).close();
      globalThis.gc(); await new Promise((r) => setTimeout(r, 100));
      const before = status();
      for (let i = 0; i < 45; i++) (await cycle()).close();
      globalThis.gc(); await new Promise((r) => setTimeout(r, 100));
      const afterClose = status();
      // Dropped without close(): finalizers free the UMEM and give the queue back.
      for (let i = 0; i < 20; i++) {
        await cycle();
        for (let g = 0; g < 3; g++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 30)); }
      }
      globalThis.gc(); await new Promise((r) => setTimeout(r, 100));
      const afterGc = status();
      console.log(JSON.stringify({ done: true, before, afterClose, afterGc }));`,
      { args: ["--expose-gc"] },
    );
    const mib = (v: unknown, k: "vm" | "rss") => (v as Record<string, number>)[k]!;
    // One UMEM here is 8 MiB: 45 leaked cycles would be 360 MiB.
    assert.ok(
      mib(done.afterClose, "vm") - mib(done.before, "vm") < 24,
      `VmSize grew ${mib(done.afterClose, "vm") - mib(done.before, "vm")} MiB over 45 cycles: ${JSON.stringify(done)}`,
    );
    assert.ok(mib(done.afterClose, "rss") - mib(done.before, "rss") < 24, `VmRSS grew over 45 cycles: ${JSON.stringify(done)}`);
    assert.ok(mib(done.afterGc, "vm") - mib(done.before, "vm") < 40, `VmSize grew with collected sockets: ${JSON.stringify(done)}`);
  } finally {
    topo.remove();
  }
});

test("the AbortSignal ends receive() and batches() while no traffic comes", async () => {
  if (!requireKernel("AF_XDP")) return;
  const topo = pair();
  try {
    const done = await runChild(
      topo,
      `
      const xsk = await XskSocket.open({ ifname: "eth0" });
      let t = Date.now();
      let calls = 0;
      await xsk.receive(() => { calls++; }, { signal: AbortSignal.timeout(300) });
      const receiveMs = Date.now() - t;
      t = Date.now();
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      for await (const b of xsk.batches({ signal: controller.signal })) calls++;
      const batchesMs = Date.now() - t;
      const accounting = xsk.frameAccounting();
      xsk.close();
      console.log(JSON.stringify({ done: true, receiveMs, batchesMs, accounting }));`,
    );
    assert.ok(
      (done.receiveMs as number) >= 250 && (done.receiveMs as number) < 1500,
      `receive() ended ${done.receiveMs} ms after a 300 ms signal`,
    );
    assert.ok(
      (done.batchesMs as number) >= 150 && (done.batchesMs as number) < 1500,
      `batches() ended ${done.batchesMs} ms after a 200 ms abort`,
    );
    assert.is((done.accounting as { received: number }).received, 0);
  } finally {
    topo.remove();
  }
});

test("the copying fallback (TSXDP_XSK_COPY_FRAMES=1) receives and sends the same frames", async () => {
  if (!requireKernel("AF_XDP")) return;
  const topo = pair();
  try {
    const done = await runChild(
      topo,
      `${countUdp}
      const xsk = await XskSocket.open({ ifname: "eth0", queue: 0 });
      console.log(JSON.stringify({ ready: true, views: xsk.frameViews }));
      const r = await countUdp(xsk, 10, 50);
      const sent = xsk.send(Array.from({ length: 10 }, () => new Uint8Array(64)));
      let reaped = 0; for (let i = 0; i < 100 && reaped < sent; i++) { reaped += xsk.reapCompletions(); await new Promise((z) => setTimeout(z, 5)); }
      const stats = xsk.stats();
      const accounting = xsk.frameAccounting();
      xsk.close();
      console.log(JSON.stringify({ done: true, views: xsk.frameViews, received: r.n, seen: r.seen, sent, stats, accounting }));`,
      { env: { TSXDP_XSK_COPY_FRAMES: "1" }, during: () => sendUdp(topo, "peer", "10.95.0.1", 9999, 50, "c") },
    );
    assert.is(done.views, "copies");
    assert.is(done.received, 50);
    assert.equal([...(done.seen as string[])].sort(), Array.from({ length: 50 }, (_, i) => `c${i}`).sort());
    assert.is(done.sent, 10);
    assert.is((done.stats as { txPackets: number }).txPackets, 10);
    assert.is((done.accounting as { transmit: number }).transmit, 0);
  } finally {
    topo.remove();
  }
});

test("a frame view kept past close() reads as empty, not as freed memory", async () => {
  if (!requireKernel("AF_XDP")) return;
  const topo = pair();
  try {
    const done = await runChild(
      topo,
      `
      const xsk = await XskSocket.open({ ifname: "eth0", queue: 0 });
      console.log(JSON.stringify({ ready: true, views: xsk.frameViews }));
      let kept;
      for await (const batch of xsk.batches({ signal: AbortSignal.timeout(10000) })) { kept = batch[0]; break; }
      const before = kept ? kept.length : -1;
      xsk.close();
      console.log(JSON.stringify({ done: true, before, after: kept ? kept.length : -1, byte: kept ? kept[0] ?? null : -1 }));`,
      { during: () => sendUdp(topo, "peer", "10.95.0.1", 9999, 5, "v") },
    );
    assert.ok((done.before as number) > 0);
    assert.is(done.after, 0, "the UMEM's ArrayBuffer was detached");
    assert.is(done.byte, null);
  } finally {
    topo.remove();
  }
});

test.run();

test("rxBatch checks the frame accounting in native code: a frame not held, or listed twice, is refused and nothing moves", async () => {
  if (!requireKernel("AF_XDP accounting")) return;
  const topo = pair();
  try {
    const done = await runChild(
      topo,
      `
      const xsk = await XskSocket.open({ ifname: "eth0", queue: 0, frames: 2048 });
      console.log(JSON.stringify({ ready: true }));
      const before = xsk.frameAccounting();
      const errors = [];
      // A "held" frame that is really on the fill ring (the allocator fills from the top of
      // the free list: frame 0 goes to the fill ring first).
      xsk.held = 1; xsk.heldFrames[0] = 0;
      try { xsk.recycle(); } catch (e) { errors.push(e.message); }
      // A frame beyond the UMEM.
      xsk.held = 1; xsk.heldFrames[0] = 5000;
      try { xsk.recycle(); } catch (e) { errors.push(e.message); }
      xsk.held = 0;
      const after = xsk.frameAccounting();
      xsk.close();
      console.log(JSON.stringify({ done: true, errors, before, after }));`,
    );
    const errors = done.errors as string[];
    assert.is(errors.length, 2, JSON.stringify(done));
    assert.match(
      errors[0]!,
      /UMEM frame 0 is on a fill ring \(ring 0\), expected held \(a received batch or claimed frames\) \(ring 0\): a frame was lost or used twice/,
    );
    assert.match(errors[1]!, /is not a UMEM frame/);
    assert.equal(done.after, done.before);
  } finally {
    topo.remove();
  }
});
