// Static NAT between a public and a private interface: `dnat` on the public side rewrites
// the public endpoint to the private server, `snat` on the private side rewrites replies
// back; the kernel routes between the two.
//   node main.js <public-if> <private-if> <seconds> <proto> <public-ip:port> <private-ip:port>
import { Nat } from "./nat.skel.js";
import { ipv4 } from "tsxdp/runtime";

const [publicIf, privateIf, seconds = "10", proto = "udp", from = "", to = ""] = process.argv.slice(2);
const endpoint = (text: string) => {
  const [addr, port] = text.split(":");
  return { addr: ipv4(addr!), port: Number(port) };
};
if (!publicIf || !privateIf || !from || !to) {
  console.error("usage: node main.js <public-if> <private-if> <seconds> <udp|tcp> <public-ip:port> <private-ip:port>");
  process.exit(2);
}
const protocol = proto === "tcp" ? 6 : 17;
await using nat = await Nat.load();
const outside = endpoint(from);
const inside = endpoint(to);
nat.maps.rules.set({ ...outside, proto: protocol }, inside);
nat.maps.reverse.set({ ...inside, proto: protocol }, outside);
using d = nat.programs.dnat.attach(publicIf, { mode: "native" });
using s = nat.programs.snat.attach(privateIf, { mode: "native" });
console.log(JSON.stringify({ nat: `${from} -> ${to}`, via: [d.kind, s.kind] }));
await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
