// IPv4 forwarding in XDP with the kernel's routing table (bpf_fib_lookup) on the given
// interfaces; what the FIB cannot resolve yet (no neighbour entry) goes to the stack.
//   node router.js <seconds> <ifname>…
import { Redirect } from "./redirect.skel.js";

const [seconds = "10", ...interfaces] = process.argv.slice(2);
if (!interfaces.length) {
  console.error("usage: node router.js <seconds> <ifname>…");
  process.exit(2);
}
await using redirect = await Redirect.load();
const links = interfaces.map((name) => redirect.programs.router.attach(name, { mode: "native" }));
console.log(JSON.stringify({ routing: interfaces }));
await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
for (const link of links) link.detach();
