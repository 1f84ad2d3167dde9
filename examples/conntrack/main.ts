// Track connections on an interface for a while, then list the flows seen.
//   node main.js <ifname> <seconds>
import { Conntrack, TcpState, type Flow, type FlowKey } from "./conntrack.skel.js";
import { formatIpv4 } from "tsxdp/runtime";

const [ifname, seconds = "10"] = process.argv.slice(2);
if (!ifname) {
  console.error("usage: node main.js <ifname> <seconds>");
  process.exit(2);
}
await using ct = await Conntrack.load();
using link = ct.programs.conntrack.attach(ifname, { mode: "native" });
console.log(JSON.stringify({ attached: ifname, via: link.kind }));
await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));

const describe = ([k, f]: [FlowKey, Flow]) => ({
  flow: `${k.proto === 6 ? "tcp" : k.proto === 17 ? "udp" : k.proto} ${formatIpv4(k.saddr)}:${k.sport} -> ${formatIpv4(k.daddr)}:${k.dport}`,
  packets: Number(f.packets),
  bytes: Number(f.bytes),
  state: TcpState[f.state] ?? String(f.state), // the program's const enum, exported by its skeleton
});
console.log(JSON.stringify({ flows: [...ct.maps.flows.entries()].map(describe) }));
