// Layer-2 forwarding between two interfaces through a DevMap: whatever arrives on one
// leaves by the other, without the kernel's stack.
//   node l2fwd.js <ifname-a> <ifname-b> <seconds>
import { Redirect } from "./redirect.skel.js";
import { ifindexOf } from "tsxdp/runtime";

const [a, b, seconds = "10"] = process.argv.slice(2);
if (!a || !b) {
  console.error("usage: node l2fwd.js <ifname-a> <ifname-b> <seconds>");
  process.exit(2);
}
await using redirect = await Redirect.load();
const [ia, ib] = [ifindexOf(a), ifindexOf(b)];
redirect.maps.ports.set(ia, ib);
redirect.maps.ports.set(ib, ia);
using linkA = redirect.programs.l2fwd.attach(a, { mode: "native" });
using linkB = redirect.programs.l2fwd.attach(b, { mode: "native" });
console.log(JSON.stringify({ forwarding: [a, b], via: [linkA.kind, linkB.kind] }));
await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
