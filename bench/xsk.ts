// AF_XDP receive: the Node API against a C receiver on libxdp (built with clang) and a Node
// dgram socket, on a veth pair, fed by the in-kernel live-frames generator pinned to the
// other CPU. pps is packets over the generator's window (all receivers see the same window);
// own CPU per packet is the receiver's process CPU time over the packets it got. Every
// receiver reads one byte of each frame. Then transmit pps of XskSocket.send() to a peer
// that drops in XDP. Prints pass/fail against the targets.
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
function generate(topo: Topology, seconds: number): { sent: number; window: number } {
  const gen = script(`
    const frame = Uint8Array.from(${JSON.stringify([...frame])});
    let sent = 0; const start = Date.now(); const end = start + ${seconds * 1000};
    while (Date.now() < end) { liveFrames({ ifname: "eth0", frame, count: 200000 }); sent += 200000; }
    console.log(JSON.stringify({ sent, window: (Date.now() - start) / 1000 }));`);
  const r = spawnSync("ip", ["netns", "exec", topo.ns.peer!, "taskset", "-c", "1", process.execPath, gen], { encoding: "utf8", timeout: (seconds + 30) * 1000 });
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{\"sent\":0,\"window\":1}") as { sent: number; window: number };
}

interface Result { packets: number; seconds: number; cpuSeconds: number }

async function measure(receiver: string[], seconds: number, gro = false): Promise<Result & { sent: number; window: number }> {
  const topo = topology(["host", "peer"], [{ a: "host:eth0:10.92.0.1/24", b: "peer:eth0:10.92.0.2/24" }], { gro: gro ? ["host:eth0"] : [] });
  try {
    topo.run("host", "ip", ["link", "set", "eth0", "address", "02:00:00:00:00:01"]);
    const child = topo.start("host", "taskset", ["-c", "0", ...receiver]);
    await waitForLine(child, (v) => v.ready === true, 20_000);
    const gen = generate(topo, seconds);
    const done = await waitForLine(child, (v) => v.done === true, (seconds + 20) * 1000);
    return { ...gen, ...(done as unknown as Result) };
  } finally {
    topo.remove();
  }
}

export async function runXskBench(seconds = 3): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-xskc-"));
  const exe = path.join(dir, "xsk_rx");
  const clang = ["clang-14", "clang"].find((c) => spawnSync(c, ["--version"]).status === 0);
  if (!clang) return ["C receiver: clang is not installed (apt-get install clang-14)"];
  const cc = spawnSync(clang, ["-O2", "-o", exe, path.join(root, "bench/c/xsk_rx.c"), "-lxdp", "-lbpf"], { encoding: "utf8" });
  if (cc.status !== 0) return [`C receiver failed to build: ${cc.stderr}`];
  const tail = 1.5;
  const nodeRx = script(`
    const xsk = await XskSocket.open({ ifname: "eth0", queue: 0, frames: 4096, mode: "copy", batchSize: 256 });
    console.log(JSON.stringify({ ready: true }));
    let packets = 0, touched = 0; const start = Date.now(); const cpu0 = process.cpuUsage();
    for await (const batch of xsk.batches({ signal: AbortSignal.timeout(${(seconds + tail) * 1000}) })) {
      for (let i = 0; i < batch.length; i++) touched += batch[i][0];
      packets += batch.length;
    }
    const cpu = process.cpuUsage(cpu0);
    console.log(JSON.stringify({ done: true, packets, touched, seconds: (Date.now() - start) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
    xsk.close();`);
  const dgramRx = script(`
    import dgram from "node:dgram";
    const s = dgram.createSocket({ type: "udp4", recvBufferSize: 8 << 20 });
    let packets = 0, touched = 0; s.on("message", (m) => { packets++; touched += m[0]; });
    s.bind(9000, () => console.log(JSON.stringify({ ready: true })));
    const start = Date.now(); const cpu0 = process.cpuUsage();
    setTimeout(() => { const cpu = process.cpuUsage(cpu0); console.log(JSON.stringify({ done: true, packets, seconds: (Date.now() - start) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 })); process.exit(0); }, ${(seconds + tail) * 1000});`);
  const c = await measure([exe, "eth0", String(seconds + tail)], seconds);
  const node = await measure([process.execPath, nodeRx], seconds);
  const udp = await measure([process.execPath, dgramRx], seconds, true);
  const tx = await measureTransmit(seconds);
  const pps = (r: Result & { window: number }) => r.packets / r.window;
  const nsPer = (r: Result) => (r.packets ? (r.cpuSeconds * 1e9) / r.packets : 0);
  const row = (name: string, r: Result & { sent: number; window: number }) => `${name.padEnd(22)} ${(pps(r) / 1e6).toFixed(2).padStart(6)} Mpps   ${nsPer(r).toFixed(0).padStart(6)} ns/pkt own CPU   (${r.packets} of ${r.sent} generated in ${r.window.toFixed(2)} s)`;
  const ratio = pps(node) / pps(c);
  const cpuRatio = nsPer(node) / nsPer(c);
  const vsDgram = pps(node) / Math.max(pps(udp), 1);
  const verdict = (ok: boolean) => (ok ? "pass" : "FAIL");
  return [
    row("C libxdp receiver", c),
    row("tsxdp XskSocket", node),
    row("Node dgram (UDP)", udp),
    `${"tsxdp XskSocket TX".padEnd(22)} ${(tx.pps / 1e6).toFixed(2).padStart(6)} Mpps   ${tx.nsPerPacket.toFixed(0).padStart(6)} ns/pkt own CPU   (${tx.completed} frames completed; copy mode, 64 bytes, to a peer dropping in XDP)`,
    `Node/C rx pps ${ratio.toFixed(2)} (target ≥ 0.90: ${verdict(ratio >= 0.9)}), own CPU ${cpuRatio.toFixed(2)}× C (target ≤ 2: ${verdict(cpuRatio <= 2)}), vs dgram ${vsDgram.toFixed(1)}× (target ≥ 5: ${verdict(vsDgram >= 5)})`,
  ];
}

/** XskSocket.send() of 64-byte frames for `seconds`, to a veth peer with an XDP_DROP program. */
async function measureTransmit(seconds: number): Promise<{ pps: number; nsPerPacket: number; completed: number }> {
  const topo = topology(["host", "peer"], [{ a: "host:eth0", b: "peer:eth0" }]);
  try {
    const drop = script(`
      import { native } from ${JSON.stringify(new URL("../runtime/native.js", import.meta.url).href)};
      const n = native();
      const prog = n.progLoadRaw(6, new Uint8Array([0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]), "GPL", "drop");
      const link = n.xdpLinkCreate(prog, n.ifIndex("eth0"), 0);
      console.log(JSON.stringify({ ready: true }));
      setTimeout(() => process.exit(0), ${(seconds + 20) * 1000});`);
    const dropper = topo.start("peer", "taskset", ["-c", "1", process.execPath, drop]);
    await waitForLine(dropper, (v) => v.ready === true, 20_000);
    const sender = script(`
      const xsk = await XskSocket.open({ ifname: "eth0", queue: 0, frames: 4096, txSize: 2048 });
      const frame = Uint8Array.from(${JSON.stringify([...frame])});
      const batch = Array.from({ length: 256 }, () => frame);
      const cpu0 = process.cpuUsage(); const start = Date.now(); const end = start + ${seconds * 1000};
      while (Date.now() < end) { if (xsk.send(batch) < batch.length) xsk.reapCompletions(); }
      for (let i = 0; i < 100 && xsk.frameAccounting().transmit > 0; i++) xsk.reapCompletions();
      const window = (Date.now() - start) / 1000; const cpu = process.cpuUsage(cpu0);
      console.log(JSON.stringify({ done: true, completed: xsk.stats().txPackets, window, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
      xsk.close();`);
    const tx = topo.start("host", "taskset", ["-c", "0", process.execPath, sender]);
    const done = await waitForLine(tx, (v) => v.done === true, (seconds + 20) * 1000);
    const completed = done.completed as number;
    return { pps: completed / (done.window as number), nsPerPacket: completed ? ((done.cpuSeconds as number) * 1e9) / completed : 0, completed };
  } finally {
    topo.remove();
  }
}
