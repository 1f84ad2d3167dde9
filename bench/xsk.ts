// AF_XDP receive: the Node API against a C receiver on libxdp and a Node dgram socket, on a
// veth pair, fed by the in-kernel live-frames generator pinned to the other CPU. Reports
// packets per second and the receiver's own CPU time per packet (process CPU / packets).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { topology, waitForLine, type Topology } from "../test/lib/topology.js";
import { build } from "../test/lib/packets.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const runtimeUrl = new URL("../runtime/index.js", import.meta.url).href;

function script(body: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-xskbench-")), "s.mjs");
  fs.writeFileSync(file, `import { XskSocket, liveFrames } from ${JSON.stringify(runtimeUrl)};\n${body}`);
  return file;
}

const frame = build([{ eth: { dst: "02:00:00:00:00:01", src: "02:00:00:00:00:02" } }, { ipv4: { src: "10.92.0.2", dst: "10.92.0.1" } }, { udp: { sport: 5555, dport: 9000 } }, { payload: "00".repeat(18) }]);

/** Runs the generator in the peer namespace on CPU 1 until `seconds` pass. */
function generate(topo: Topology, seconds: number): number {
  const gen = script(`
    const frame = Uint8Array.from(${JSON.stringify([...frame])});
    let sent = 0; const end = Date.now() + ${seconds * 1000};
    while (Date.now() < end) { liveFrames({ ifname: "eth0", frame, count: 200000 }); sent += 200000; }
    console.log(JSON.stringify({ sent }));`);
  const r = spawnSync("ip", ["netns", "exec", topo.ns.peer!, "taskset", "-c", "1", process.execPath, gen], { encoding: "utf8", timeout: (seconds + 30) * 1000 });
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{\"sent\":0}").sent as number;
}

interface Result { packets: number; seconds: number; cpuSeconds: number }

async function measure(receiver: string[], seconds: number, gro = false): Promise<Result & { sent: number }> {
  const topo = topology(["host", "peer"], [{ a: "host:eth0:10.92.0.1/24", b: "peer:eth0:10.92.0.2/24" }], { gro: gro ? ["host:eth0"] : [] });
  try {
    topo.run("host", "ip", ["link", "set", "eth0", "address", "02:00:00:00:00:01"]);
    const child = topo.start("host", "taskset", ["-c", "0", ...receiver]);
    await waitForLine(child, (v) => v.ready === true, 20_000);
    const sent = generate(topo, seconds);
    const done = await waitForLine(child, (v) => v.done === true, (seconds + 20) * 1000);
    return { sent, ...(done as unknown as Result) };
  } finally {
    topo.remove();
  }
}

export async function runXskBench(seconds = 3): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-xskc-"));
  const exe = path.join(dir, "xsk_rx");
  const cc = spawnSync("gcc", ["-O2", "-o", exe, path.join(root, "bench/c/xsk_rx.c"), "-lxdp", "-lbpf"], { encoding: "utf8" });
  if (cc.status !== 0) return [`C receiver failed to build: ${cc.stderr}`];
  const nodeRx = script(`
    const xsk = await XskSocket.open({ ifname: "eth0", queue: 0, frames: 4096, mode: "copy", batchSize: 64 });
    console.log(JSON.stringify({ ready: true }));
    let packets = 0; const start = Date.now(); const cpu0 = process.cpuUsage();
    setTimeout(() => xsk.close(), ${seconds * 1000} + 1500).unref();
    for await (const batch of xsk) { packets += batch.length; if (Date.now() - start > ${seconds * 1000} + 1500) break; }
    const cpu = process.cpuUsage(cpu0);
    console.log(JSON.stringify({ done: true, packets, seconds: (Date.now() - start) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));`);
  const dgramRx = script(`
    import dgram from "node:dgram";
    const s = dgram.createSocket({ type: "udp4", recvBufferSize: 8 << 20 });
    let packets = 0; s.on("message", () => packets++);
    s.bind(9000, () => console.log(JSON.stringify({ ready: true })));
    const start = Date.now(); const cpu0 = process.cpuUsage();
    setTimeout(() => { const cpu = process.cpuUsage(cpu0); console.log(JSON.stringify({ done: true, packets, seconds: (Date.now() - start) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 })); process.exit(0); }, ${seconds * 1000} + 1500);`);
  const c = await measure([exe, "eth0", String(seconds + 1.5)], seconds);
  const node = await measure([process.execPath, nodeRx], seconds);
  const udp = await measure([process.execPath, dgramRx], seconds, true);
  const pps = (r: Result) => r.packets / Math.min(r.seconds, seconds + 1.5);
  const nsPer = (r: Result) => (r.packets ? (r.cpuSeconds * 1e9) / r.packets : 0);
  const row = (name: string, r: Result & { sent: number }) => `${name.padEnd(22)} ${(pps(r) / 1e6).toFixed(2).padStart(6)} Mpps   ${nsPer(r).toFixed(0).padStart(6)} ns/pkt own CPU   (${r.packets} of ${r.sent} generated)`;
  return [
    row("C libxdp receiver", c),
    row("tsxdp XskSocket", node),
    row("Node dgram (UDP)", udp),
    `Node/C pps ${(pps(node) / pps(c)).toFixed(2)} (target ≥ 0.90), own CPU ${(nsPer(node) / nsPer(c)).toFixed(2)}× C (target ≤ 2), vs dgram ${(pps(node) / Math.max(pps(udp), 1)).toFixed(1)}× (target ≥ 5)`,
  ];
}
