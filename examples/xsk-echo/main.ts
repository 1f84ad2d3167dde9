// The symmetric case: an XDP program (echo.xdp.ts) steers UDP for one port into an AF_XDP
// socket; Node rewrites each frame into its reply (MACs, addresses and ports swapped, the
// payload prefixed) and transmits it back out of the same interface. AF_XDP transmit
// bypasses XDP, so the reply leaves directly; on a veth pair the peer receives it.
//   node main.js <ifname> <seconds> [port]
import { Echo } from "./echo.skel.js";
import { XskSocket } from "tsxdp/runtime";

const [ifname, seconds = "10", port = "7007"] = process.argv.slice(2);
if (!ifname) {
  console.error("usage: node main.js <ifname> <seconds> [port]");
  process.exit(2);
}
const echo = await Echo.open();
echo.config.PORT = Number(port);
await echo.load();
using link = echo.programs.steer.attach(ifname);
await using xsk = await XskSocket.open({ ifname, queue: 0, mode: "auto", xskMap: echo.maps.sockets });
console.log(JSON.stringify({ echoing: ifname, port: Number(port), mode: xsk.mode, via: link.kind }));

// Stop after the given time even when no traffic comes: closing ends the iteration.
setTimeout(() => xsk.close(), Number(seconds) * 1000).unref();
const prefix = new TextEncoder().encode("echo:");
let answered = 0;
let dropped = 0;
const end = Date.now() + Number(seconds) * 1000;
for await (const batch of xsk) {
  // send() queues what fits (free UMEM frames, TX ring room) and says how many: retry the
  // rest a few times while completions free frames, then count it as dropped.
  let replies = batch.map(reply);
  for (let attempt = 0; replies.length > 0 && attempt < 8; attempt++) {
    const queued = xsk.send(replies);
    answered += queued;
    replies = replies.slice(queued);
    if (replies.length) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  dropped += replies.length;
  if (Date.now() >= end) break;
}
console.log(JSON.stringify({ done: true, answered, dropped, stats: xsk.stats() }));
echo.close();

/** The reply to one UDP/IPv4 frame (IPv4 header checksum recomputed; UDP checksum 0 = none). */
function reply(frame: Uint8Array): Uint8Array {
  const ihl = (frame[14]! & 0x0f) * 4;
  const l4 = 14 + ihl;
  const payload = frame.subarray(l4 + 8, 14 + ((frame[16]! << 8) | frame[17]!));
  const out = new Uint8Array(l4 + 8 + prefix.length + payload.length);
  out.set(frame.subarray(6, 12), 0); // dst MAC = the sender
  out.set(frame.subarray(0, 6), 6);
  out.set(frame.subarray(12, l4), 12);
  out.set(frame.subarray(30, 34), 26); // source address = the old destination
  out.set(frame.subarray(26, 30), 30);
  const totalLength = out.length - 14;
  out[16] = totalLength >> 8;
  out[17] = totalLength & 0xff;
  out[24] = out[25] = 0;
  let sum = 0;
  for (let i = 14; i < l4; i += 2) sum += (out[i]! << 8) | out[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const check = ~sum & 0xffff;
  out[24] = check >> 8;
  out[25] = check & 0xff;
  out.set(frame.subarray(l4 + 2, l4 + 4), l4); // ports swapped
  out.set(frame.subarray(l4, l4 + 2), l4 + 2);
  const udpLength = 8 + prefix.length + payload.length;
  out[l4 + 4] = udpLength >> 8;
  out[l4 + 5] = udpLength & 0xff;
  out[l4 + 6] = out[l4 + 7] = 0;
  out.set(prefix, l4 + 8);
  out.set(payload, l4 + 8 + prefix.length);
  return out;
}
