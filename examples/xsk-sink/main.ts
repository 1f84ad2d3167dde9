// An AF_XDP packet sink: every frame arriving on an interface's queue goes to this Node
// process (tsxdp's default redirect program steers the queue into the socket); it counts
// packets and bytes and prints statistics once a second.
//   node main.js <ifname> <seconds> [queue]
import { XskSocket } from "tsxdp/runtime";

const [ifname, seconds = "10", queue = "0"] = process.argv.slice(2);
if (!ifname) {
  console.error("usage: node main.js <ifname> <seconds> [queue]");
  process.exit(2);
}
await using xsk = await XskSocket.open({ ifname, queue: Number(queue), frames: 4096, mode: "auto" });
console.log(JSON.stringify({ listening: ifname, queue: Number(queue), mode: xsk.mode }));

// Stop after the given time even when no traffic comes: closing ends the iteration.
setTimeout(() => xsk.close(), Number(seconds) * 1000).unref();
let packets = 0;
let bytes = 0;
const end = Date.now() + Number(seconds) * 1000;
let nextReport = Date.now() + 1000;
for await (const batch of xsk) {
  for (const frame of batch) {
    packets++;
    bytes += frame.length;
  }
  if (Date.now() >= nextReport) {
    console.log(JSON.stringify({ packets, bytes, ...xsk.stats() }));
    nextReport += 1000;
  }
  if (Date.now() >= end) break;
}
console.log(JSON.stringify({ done: true, packets, bytes, stats: xsk.stats(), frames: xsk.frameAccounting() }));
