// Drop IPv4 traffic from the given sources on an interface, and report what was counted.
//   node main.js <ifname> <seconds> <blocked-ip>…
// Prints one JSON line when done: verdict counters and drops per blocked source.
import { Firewall } from "./firewall.skel.js";
import { XDP, ipv4 } from "tsxdp/runtime";

const [ifname, seconds = "10", ...blocked] = process.argv.slice(2);
if (!ifname) {
  console.error("usage: node main.js <ifname> <seconds> <blocked-ip>…");
  process.exit(2);
}

await using fw = await Firewall.load();
for (const address of blocked) fw.maps.blocklist.set(ipv4(address), 0n);
using link = fw.programs.firewall.attach(ifname, { mode: "native" });
console.log(JSON.stringify({ attached: ifname, via: link.kind }));

await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));

const verdicts = Object.fromEntries([XDP.ABORTED, XDP.DROP, XDP.PASS].map((v) => [XDP[v], String(fw.maps.verdicts.sum(v))]));
const drops = Object.fromEntries(blocked.map((a) => [a, String(fw.maps.blocklist.get(ipv4(a)))]));
console.log(JSON.stringify({ verdicts, drops }));
