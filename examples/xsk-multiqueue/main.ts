// One AF_XDP socket per receive queue, each in its own worker_threads Worker: the main
// thread starts a Worker per queue; each Worker opens its socket (tsxdp's default redirect
// program is shared by all of them: one per interface per process) and counts frames,
// then reports to the main thread, which prints one JSON line per queue and a total.
//   node main.js <ifname> <queues> <seconds>
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { XskSocket } from "tsxdp/runtime";

interface Job { ifname: string; queue: number; seconds: number }
interface Report { queue: number; packets: number; bytes: number; mode: string; accounting: { free: number; fill: number; received: number; transmit: number } }

if (isMainThread) {
  const [ifname, queues = "2", seconds = "10"] = process.argv.slice(2);
  if (!ifname) {
    console.error("usage: node main.js <ifname> <queues> <seconds>");
    process.exit(2);
  }
  const workers = Array.from({ length: Number(queues) }, (_, queue) => {
    const job: Job = { ifname, queue, seconds: Number(seconds) };
    const worker = new Worker(new URL(import.meta.url), { workerData: job });
    return new Promise<Report>((resolve, reject) => {
      worker.on("message", (m: { ready?: number } | Report) => {
        if ("ready" in m) console.log(JSON.stringify({ ready: m.ready }));
        else resolve(m as Report);
      });
      worker.on("error", reject);
      worker.on("exit", (code) => code !== 0 && reject(new Error(`worker for queue ${queue} exited with ${code}`)));
    });
  });
  const reports = await Promise.all(workers);
  for (const r of reports) console.log(JSON.stringify(r));
  console.log(JSON.stringify({ done: true, packets: reports.reduce((sum, r) => sum + r.packets, 0), perQueue: reports.map((r) => r.packets) }));
} else {
  const { ifname, queue, seconds } = workerData as Job;
  await using xsk = await XskSocket.open({ ifname, queue, mode: "auto" });
  parentPort!.postMessage({ ready: queue });
  let packets = 0;
  let bytes = 0;
  // The signal ends the loop on time even when this queue gets no traffic.
  for await (const batch of xsk.batches({ signal: AbortSignal.timeout(seconds * 1000) })) {
    for (const frame of batch) {
      packets++;
      bytes += frame.length;
    }
  }
  parentPort!.postMessage({ queue, packets, bytes, mode: xsk.mode, accounting: xsk.frameAccounting() } satisfies Report);
}
