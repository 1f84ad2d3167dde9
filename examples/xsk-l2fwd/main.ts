// l2fwd: every frame arriving on an interface is received by AF_XDP, rewritten in place
// (source and destination MAC swapped) and transmitted back out as it lies in the UMEM —
// no copy. The frame goes back to the fill ring when its transmission completes.
// AF_XDP transmit bypasses the interface's own XDP program (l2fwd.xdp.ts counts the frames
// it steers: arrivals only); on a veth pair the frames arrive at the peer's XDP hook.
//   node main.js <ifname> <seconds>
import { L2fwd } from "./l2fwd.skel.js";
import { XskSocket } from "tsxdp/runtime";

const [ifname, seconds = "10"] = process.argv.slice(2);
if (!ifname) {
  console.error("usage: node main.js <ifname> <seconds>");
  process.exit(2);
}
await using l2fwd = await L2fwd.load();
using link = l2fwd.programs.steer.attach(ifname);
await using xsk = await XskSocket.open({ ifname, queue: 0, mode: "auto", xskMap: l2fwd.maps.sockets });
console.log(JSON.stringify({ forwarding: ifname, mode: xsk.mode, via: link.kind }));

// Stop after the given time even when no traffic comes: closing ends the iteration.
setTimeout(() => xsk.close(), Number(seconds) * 1000).unref();
let forwarded = 0;
let dropped = 0;
for await (const batch of xsk) {
  for (const frame of batch) swapMacs(frame);
  // The frames transmit() queues are the kernel's now; the rest (a full TX ring) stay in the
  // batch and go back to the fill ring with it: dropped.
  const queued = xsk.transmit(batch);
  forwarded += queued;
  dropped += batch.length - queued;
}
// Let the last transmissions complete, so every frame is back where it started.
for (let i = 0; i < 50 && xsk.frameAccounting().transmit > 0; i++) {
  xsk.reapCompletions();
  await new Promise((resolve) => setTimeout(resolve, 10));
}
const steered = l2fwd.maps.steered.sum(0) ?? 0n;
console.log(JSON.stringify({ done: true, forwarded, dropped, steered: String(steered), accounting: xsk.frameAccounting(), stats: xsk.stats() }));

function swapMacs(frame: Uint8Array): void {
  for (let i = 0; i < 6; i++) {
    const destination = frame[i]!;
    frame[i] = frame[i + 6]!;
    frame[i + 6] = destination;
  }
}
