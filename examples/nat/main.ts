// Static NAT between a public and a private interface: `dnat` on the public side rewrites
// public endpoints to private servers and forwards to the private side, `snat` on the
// private side rewrites the replies back and forwards to the public side — both in XDP
// (the FIB gives the next hop; what it cannot resolve yet goes through the stack).
//   node main.js <public-if> <private-if> <seconds> <udp|tcp>:<public-ip:port>=<private-ip:port>…
import { Nat } from "./nat.skel.js";
import { ipv4, ifindexOf } from "tsxdp/runtime";

const [publicIf, privateIf, seconds = "10", ...mappings] = process.argv.slice(2);
const endpoint = (text: string) => {
  const [addr, port] = text.split(":");
  return { addr: ipv4(addr!), port: Number(port) };
};
const rules = mappings.map((m) => /^(udp|tcp):([\d.]+:\d+)=([\d.]+:\d+)$/.exec(m));
if (!publicIf || !privateIf || !rules.length || rules.some((r) => r === null)) {
  console.error("usage: node main.js <public-if> <private-if> <seconds> <udp|tcp>:<public-ip:port>=<private-ip:port>…");
  process.exit(2);
}
await using nat = await Nat.load();
for (const [, proto, from, to] of rules as RegExpExecArray[]) {
  const protocol = proto === "tcp" ? 6 : 17;
  const outside = endpoint(from!);
  const inside = endpoint(to!);
  nat.maps.rules.set({ ...outside, proto: protocol }, inside);
  nat.maps.reverse.set({ ...inside, proto: protocol }, outside);
}
// Forward in XDP only between these two interfaces.
for (const name of [publicIf, privateIf]) nat.maps.interfaces.set(ifindexOf(name), 1);
using d = nat.programs.dnat.attach(publicIf, { mode: "native" });
using s = nat.programs.snat.attach(privateIf, { mode: "native" });
console.log(JSON.stringify({ nat: mappings, via: [d.kind, s.kind] }));
await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
