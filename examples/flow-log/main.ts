// Log IPv4 UDP/TCP packets arriving on an interface, one JSON line per packet, read from
// the program's RingBuf as typed records.
//   node main.js <ifname> <count> [port] [drop]
// Prints {"attached": …}, then {"event": …} per packet until <count> events (or 30 s).
import { FlowLog, type PacketEvent } from "./flow-log.skel.js";
import { formatIpv4 } from "tsxdp/runtime";

const [ifname, count = "10", port = "0", drop = "0"] = process.argv.slice(2);
if (!ifname) {
  console.error("usage: node main.js <ifname> <count> [port] [drop]");
  process.exit(2);
}

await using log = await FlowLog.open();
log.config.filter = { port: Number(port), drop: Number(drop) }; // host order: the codec swaps
await log.load();
using link = log.programs.flowLog.attach(ifname, { mode: "native" });
console.log(JSON.stringify({ attached: ifname, via: link.kind, filter: log.config.filter }));

const describe = (e: PacketEvent) => ({
  proto: e.protocol === 17 ? "udp" : e.protocol === 6 ? "tcp" : String(e.protocol),
  from: `${formatIpv4(e.saddr)}:${e.sport}`,
  to: `${formatIpv4(e.daddr)}:${e.dport}`,
  ttl: e.ttl,
  len: e.len,
  at: String(e.at),
});

const giveUp = setTimeout(() => {
  console.log(JSON.stringify({ timeout: true, lost: String(log.maps.lost.sum(0)) }));
  process.exit(1);
}, 30_000);
let seen = 0;
for await (const event of log.maps.events) {
  console.log(JSON.stringify({ event: describe(event) }));
  if (++seen >= Number(count)) break;
}
clearTimeout(giveUp);
console.log(JSON.stringify({ done: seen, lost: String(log.maps.lost.sum(0)) }));
