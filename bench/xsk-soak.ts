// AF_XDP soaks, each on a veth pair fed by the in-kernel live-frames generator (CPU 1):
//   node dist/bench/xsk-soak.js forward [frames]   forwarding (receive, swap MACs, transmit the
//       same UMEM frame) for 10M frames by default: the frame accounting is checked every
//       million frames in the allocator's table and must end exact — every frame back,
//       none lost, none used twice; frames delivered at the far end are counted there.
//   node dist/bench/xsk-soak.js receive [frames]   a receiver for 30M frames by default:
//       heap and RSS sampled with a GC forced first, which must stay flat.
// Run after `npm run build`, as root. Prints JSON lines; the last one is the summary.
import { topology, waitForLine } from "../test/lib/topology.js";
import { counterScript, frame, script } from "./xsk.js";

const mode = process.argv[2] ?? "forward";
const target = Number(process.argv[3] ?? (mode === "receive" ? 30e6 : 10e6));
const step = 1e6;

const forwarder = () =>
  script(`
  const xsk = await XskSocket.open({ ifname: "eth0", queue: 0, frames: 4096, rxSize: 2048, txSize: 2048, batchSize: 256 });
  console.log(JSON.stringify({ ready: true }));
  let received = 0, forwarded = 0, dropped = 0, checks = 0, next = ${step};
  const started = Date.now();
  for await (const batch of xsk.batches({ signal: AbortSignal.timeout(1800000) })) {
    received += batch.length;
    for (let i = 0; i < batch.length; i++) {
      const f = batch[i];
      for (let j = 0; j < 6; j++) { const t = f[j]; f[j] = f[j + 6]; f[j + 6] = t; }
    }
    const queued = xsk.transmit(batch);
    forwarded += queued;
    dropped += batch.length - queued;
    if (received >= next) {
      const accounting = xsk.frameAccounting();  // recounts every frame's place; throws on a mismatch
      checks++;
      next += ${step};
      console.log(JSON.stringify({ received, forwarded, dropped, accounting, seconds: (Date.now() - started) / 1000 }));
    }
    if (received >= ${target}) break;
  }
  for (let i = 0; i < 200 && xsk.frameAccounting().transmit > 0; i++) { xsk.reapCompletions(); await new Promise((r) => setTimeout(r, 5)); }
  const final = xsk.frameAccounting();
  const stats = xsk.stats();
  xsk.close();
  console.log(JSON.stringify({ done: true, received, forwarded, dropped, checks, final, stats, seconds: (Date.now() - started) / 1000 }));`);

const receiver = () =>
  script(`
  const xsk = await XskSocket.open({ ifname: "eth0", queue: 0, frames: 4096, batchSize: 256 });
  console.log(JSON.stringify({ ready: true }));
  const sample = (frames) => { globalThis.gc(); const m = process.memoryUsage(); return { frames, heapMB: +(m.heapUsed / 2 ** 20).toFixed(2), rssMB: +(m.rss / 2 ** 20).toFixed(2) }; };
  const samples = [sample(0)];
  console.log(JSON.stringify(samples[0]));
  let frames = 0, next = ${step * 3};
  const started = Date.now();
  for await (const batch of xsk.batches({ signal: AbortSignal.timeout(3600000) })) {
    frames += batch.length;
    if (frames >= next) { next += ${step * 3}; samples.push(sample(frames)); console.log(JSON.stringify({ ...samples.at(-1), seconds: (Date.now() - started) / 1000 })); }
    if (frames >= ${target}) break;
  }
  const stats = xsk.stats();
  xsk.close();
  const first = samples[1] ?? samples[0], last = samples.at(-1);
  console.log(JSON.stringify({ done: true, frames, batches: stats.rxBatches, heapMB: [first.heapMB, last.heapMB], rssMB: [first.rssMB, last.rssMB], heapGrowthMB: +(last.heapMB - first.heapMB).toFixed(2), rssGrowthMB: +(last.rssMB - first.rssMB).toFixed(2), seconds: (Date.now() - started) / 1000 }));`);

const topo = topology(["host", "peer"], [{ a: "host:eth0", b: "peer:eth0" }]);
try {
  topo.run("host", "ip", ["link", "set", "eth0", "address", "02:00:00:00:00:01"]);
  const counter = topo.start("peer", process.execPath, [counterScript()]);
  const { mapId } = await waitForLine(counter, (v) => v.ready === true, 20_000);
  const child = topo.start("host", "taskset", [
    "-c",
    "0",
    process.execPath,
    ...(mode === "receive" ? ["--expose-gc"] : []),
    mode === "receive" ? receiver() : forwarder(),
  ]);
  child.stdout!.on("data", (chunk: Buffer) => process.stdout.write(chunk));
  child.stderr!.on("data", (chunk: Buffer) => process.stderr.write(chunk));
  await waitForLine(child, (v) => v.ready === true, 20_000);
  const generator = topo.start("peer", "taskset", [
    "-c",
    "1",
    process.execPath,
    script(`
    const frame = Uint8Array.from(${JSON.stringify([...frame])});
    for (;;) liveFrames({ ifname: "eth0", frame, count: 200000 });`),
  ]);
  const done = await waitForLine(child, (v) => v.done === true, 3_600_000);
  generator.kill("SIGKILL");
  if (mode === "forward") {
    // What reached the far end: the counter there (frames the host's own stack sent, such as
    // IPv6 neighbour discovery, count too).
    const { native } = await import("../runtime/native.js");
    const { BpfMap } = await import("../runtime/map.js");
    using counter = BpfMap.adoptFd<Uint8Array, Uint8Array>(native().mapFdById(mapId as number), { bytes: true });
    const delivered = Number(Buffer.from(counter.get(new Uint8Array(4))!).readBigUInt64LE(0));
    const final = done.final as Record<string, number>;
    const stats = done.stats as Record<string, number>;
    const exact =
      final.transmit === 0 &&
      final.received === 0 &&
      final.free! + final.fill! === 4096 &&
      done.received === (done.forwarded as number) + (done.dropped as number) &&
      stats.txCompleted === done.forwarded;
    console.log(
      JSON.stringify({
        summary: "forward",
        exact,
        received: done.received,
        forwarded: done.forwarded,
        dropped: done.dropped,
        delivered,
        accountingChecks: done.checks,
        final,
        txCompleted: stats.txCompleted,
        seconds: done.seconds,
      }),
    );
  }
} finally {
  topo.remove();
}
process.exit(0);
